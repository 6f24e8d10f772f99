package io.storystream.datastorybot.standin.analysis;

/** The upload was received but cannot be read as CSV (DataStoryBot answers 422). */
public final class NotCsvException extends Exception {
  public NotCsvException(String message) {
    super(message, null, false, false);
  }
}
