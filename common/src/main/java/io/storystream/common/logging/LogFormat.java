package io.storystream.common.logging;

import java.util.Locale;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * How log lines look: {@code json} (one JSON object per line in the Elastic Common Schema, log4j's
 * {@code EcsLayout.json}; what log pipelines parse) or {@code plain} (a terminal's pattern). {@code auto} is plain
 * when the embedded default runs attached to a terminal, JSON otherwise. The log4j configuration
 * ({@code log4j2.xml}) selects the layout by the system property {@value #PROPERTY}; JSON unless it says plain.
 */
public enum LogFormat {
  JSON, PLAIN, AUTO;

  public static final String PROPERTY = "storystream.log.format";

  public static LogFormat parse(String text) {
    if (text == null || text.isBlank()) {
      return AUTO;
    }
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("log format must be json, plain or auto, not '" + text + "'");
    }
  }

  /**
   * The concrete format: {@code auto} becomes plain only when {@code terminalMeansPlain} (the embedded default)
   * and a terminal is attached.
   */
  public LogFormat resolve(boolean terminalMeansPlain, boolean terminalAttached) {
    if (this != AUTO) {
      return this;
    }
    return terminalMeansPlain && terminalAttached ? PLAIN : JSON;
  }

  /** Switches the process's logging to this (concrete) format, reconfiguring log4j when it changes. */
  public void apply() {
    LogFormat concrete = resolve(false, false);
    String wanted = concrete.name().toLowerCase(Locale.ROOT);
    String now = System.getProperty(PROPERTY, "json");
    System.setProperty(PROPERTY, wanted);
    if (!now.equals(wanted) && LogManager.getContext(false) instanceof LoggerContext context) {
      context.reconfigure(); // log4j2.xml's arbiter reads the property again
    }
  }
}
