package io.storystream.datastorybot.standin.analysis;

/** What a column holds, inferred from at least 95% of its non-empty values. */
public enum ColumnType {
  NUMERIC, DATE, CATEGORICAL, TEXT,
  /** Every value is empty. */
  EMPTY;

  public String label() {
    return switch (this) {
      case NUMERIC -> "numeric";
      case DATE -> "date/time";
      case CATEGORICAL -> "categorical";
      case TEXT -> "free text";
      case EMPTY -> "empty";
    };
  }
}
