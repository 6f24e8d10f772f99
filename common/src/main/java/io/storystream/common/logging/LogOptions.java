package io.storystream.common.logging;

import picocli.CommandLine.Option;

/** The {@code --log-format} flag, mixed into every command ({@code @Mixin LogOptions logs}). */
public final class LogOptions {

  @Option(names = "--log-format", defaultValue = "${env:STORYSTREAM_LOG_FORMAT:-auto}",
      description = "json (ECS, one object per line), plain, or auto: plain when the embedded default runs on a "
          + "terminal, JSON otherwise (env STORYSTREAM_LOG_FORMAT; default ${DEFAULT-VALUE}).")
  public String format;

  /** Applies the chosen format; {@code terminalMeansPlain} for the embedded default, false for the services. */
  public void apply(boolean terminalMeansPlain) {
    LogFormat.parse(format).resolve(terminalMeansPlain, System.console() != null).apply();
  }
}
