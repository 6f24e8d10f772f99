package io.storystream.testsupport;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.layout.template.json.JsonTemplateLayout;

/**
 * Every log line written while it is open, exactly as a log pipeline would receive it: each event formatted by the
 * services' JSON layout (ECS, with the logging context's ids as fields, the message, the exception and its stack
 * trace). storystream's own loggers are captured at every level, so a line that would leak only at DEBUG leaks
 * here too; libraries at their configured level.
 *
 * <pre>{@code try (LogCapture logs = LogCapture.start()) { … run a flow …; assertThat(logs.lines()) … }}</pre>
 */
public final class LogCapture implements AutoCloseable {
  private static final String NAME = "storystream-log-capture";

  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final LoggerContext context;
  private final LoggerConfig root;
  private final LoggerConfig ours;
  private final Level oursLevel;
  private final boolean oursWasOwn;

  private LogCapture() {
    context = (LoggerContext) LogManager.getContext(false);
    Configuration configuration = context.getConfiguration();
    JsonTemplateLayout layout = JsonTemplateLayout.newBuilder().setConfiguration(configuration)
        .setEventTemplateUri("classpath:EcsLayout.json").build();
    AbstractAppender appender = new AbstractAppender(NAME, null, layout, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        lines.add(layout.toSerializable(event).strip());
      }
    };
    appender.start();
    root = configuration.getRootLogger();
    LoggerConfig found = configuration.getLoggerConfig("io.storystream");
    oursWasOwn = found.getName().equals("io.storystream");
    if (!oursWasOwn) {
      found = new LoggerConfig("io.storystream", Level.ALL, true);
      configuration.addLogger("io.storystream", found);
    }
    ours = found;
    oursLevel = ours.getLevel();
    root.addAppender(appender, Level.ALL, null);
    ours.setLevel(Level.ALL);
    context.updateLoggers();
  }

  public static LogCapture start() {
    return new LogCapture();
  }

  /** The JSON lines so far. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void close() {
    root.removeAppender(NAME);
    if (oursWasOwn) {
      ours.setLevel(oursLevel);
    } else {
      context.getConfiguration().removeLogger("io.storystream");
    }
    context.updateLoggers();
  }
}
