package io.storystream.datastorybot.standin.analysis;

import java.util.Map;

/**
 * One typed column. {@code numbers} holds the parsed value per row (NaN when empty or unparsable) for numeric
 * columns and epoch seconds (UTC) for date columns; {@code counts} holds value frequencies for categorical columns,
 * most frequent first.
 */
public record Column(int index, String name, ColumnType type, Profile profile, double[] numbers,
    Values.Decimal decimal, Values.DateLayout dateLayout, Map<String, Long> counts) {

  public boolean has(int row) {
    return numbers != null && !Double.isNaN(numbers[row]);
  }
}
