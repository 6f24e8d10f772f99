package io.storystream.launcher;

/**
 * A setting that cannot be used with what the data folder already holds, found only once the system looks at it
 * (e.g. a partition count other than the folder's). The command prints its message and exits with status 2, like a
 * flag it cannot parse; a stack trace would only hide the one line a user needs.
 */
final class UnusableSetting extends IllegalArgumentException {
  UnusableSetting(String message) {
    super(message);
  }
}
