package io.storystream.common.kafka;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Kafka client properties an operator passes through to every client of a service (SASL, SSL, timeouts…): first
 * those of a properties file ({@code --kafka-properties-file}, env {@code STORYSTREAM_KAFKA_PROPERTIES_FILE}), then
 * every environment variable {@code STORYSTREAM_KAFKA_<NAME>}, named like Kafka's property in upper case with dots as
 * underscores ({@code STORYSTREAM_KAFKA_SASL_JAAS_CONFIG} → {@code sasl.jaas.config}); a variable wins over the file.
 * The embedded default's own variables ({@code STORYSTREAM_KAFKA_PORT}, {@code …_CONTROLLER_PORT}), the start-up check's
 * timeout ({@code …_CONNECT_TIMEOUT}) and the file's
 * variable are not client properties.
 */
public final class ClientProperties {
  public static final String ENV_PREFIX = "STORYSTREAM_KAFKA_";
  private static final Set<String> NOT_CLIENT_PROPERTIES = Set.of("PORT", "CONTROLLER_PORT", "PROPERTIES_FILE",
      "CONNECT_TIMEOUT");

  private ClientProperties() {}

  public static Map<String, String> load(Path file, Map<String, String> env) {
    Map<String, String> props = new TreeMap<>();
    if (file != null) {
      Properties fromFile = new Properties();
      try (Reader reader = Files.newBufferedReader(file)) {
        fromFile.load(reader);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the Kafka properties file " + file, e);
      }
      fromFile.stringPropertyNames().forEach(name -> props.put(name, fromFile.getProperty(name)));
    }
    env.forEach((name, value) -> {
      if (name.startsWith(ENV_PREFIX) && !NOT_CLIENT_PROPERTIES.contains(name.substring(ENV_PREFIX.length()))
          && name.length() > ENV_PREFIX.length()) {
        props.put(name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
      }
    });
    return props;
  }

  /** The properties with the values of secrets replaced, for logs and toString. */
  public static Map<String, String> masked(Map<String, String> props) {
    Map<String, String> shown = new TreeMap<>();
    props.forEach((k, v) -> shown.put(k, secret(k) ? "[hidden]" : v));
    return shown;
  }

  private static boolean secret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.endsWith(".key")
        || k.contains("token") || k.contains("credentials");
  }
}
