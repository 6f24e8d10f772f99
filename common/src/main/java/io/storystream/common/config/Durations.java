package io.storystream.common.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * The one way every flag, environment variable and query parameter of storystream spells a duration:
 * <ul>
 *   <li>a whole number with a unit: {@code 500ms}, {@code 30s}, {@code 15m}, {@code 48h}, {@code 7d} (any case);</li>
 *   <li>ISO-8601: {@code PT1H}, {@code PT0.5S}, {@code P2D};</li>
 *   <li>{@code 0}, which means "none" (turns an interval off).</li>
 * </ul>
 * Any other bare number is refused: {@code 500} has meant milliseconds in one place and seconds in another, so a
 * reader cannot know which was meant; the error says to write {@code 500ms} or {@code 500s}. Negative durations
 * are refused too.
 */
public final class Durations {
  private static final Pattern WITH_UNIT = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");
  private static final Pattern BARE_NUMBER = Pattern.compile("[+-]?\\d+(\\.\\d*)?");

  private Durations() {}

  /** Parses {@code text} by the rule above; {@link IllegalArgumentException} with a readable message otherwise. */
  public static Duration parse(String text) {
    return parse(text, false);
  }

  /**
   * The same rule for an offset, which may be negative: {@code -48h}, {@code -PT48H} or {@code PT-48H} (what
   * {@link Duration#toString()} writes for a negative one).
   */
  public static Duration parseSigned(String text) {
    String t = text == null ? "" : text.strip();
    if (t.startsWith("-") && !BARE_NUMBER.matcher(t).matches()) {
      return parse(t.substring(1), false).negated();
    }
    return parse(t, true);
  }

  private static Duration parse(String text, boolean allowNegative) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a duration is required, e.g. 500ms, 30s, 15m, 1h or PT1H");
    }
    String t = text.strip().toLowerCase(Locale.ROOT);
    if (t.equals("0")) {
      return Duration.ZERO;
    }
    if (BARE_NUMBER.matcher(t).matches()) {
      throw new IllegalArgumentException("'" + text.strip() + "' has no unit; write e.g. " + t + "ms or " + t + "s");
    }
    Matcher m = WITH_UNIT.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    Duration iso;
    try {
      iso = Duration.parse(t.toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + text.strip() + "' is not a duration such as 500ms, 30s, 15m, 1h or PT1H");
    }
    if (iso.isNegative() && !allowNegative) {
      throw new IllegalArgumentException("'" + text.strip() + "' is negative; a duration is 0 or more");
    }
    return iso;
  }

  /** The rule as a picocli converter, so every command's duration options read the same spellings. */
  public static final class Converter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@link #parseSigned} as a picocli converter, for offsets. */
  public static final class SignedConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return parseSigned(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Registers {@link Converter} for every {@link Duration} option of {@code commandLine} and its subcommands. */
  public static CommandLine register(CommandLine commandLine) {
    return commandLine.registerConverter(Duration.class, new Converter());
  }
}
