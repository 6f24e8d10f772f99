package io.storystream.datastorybot.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Where the DataStoryBot Bearer key comes from. A file source re-reads its file once the TTL has passed, so a
 * rotated secret is picked up without a restart. No implementation ever reveals the key in {@code toString()}: the
 * config record that holds a source is logged and printed freely.
 */
public interface ApiKeySource {

  /** Environment variable holding the key itself. */
  String ENV_KEY = "DATASTORYBOT_API_KEY";
  /** Environment variable naming a file that holds the key (a mounted secret); wins over {@link #ENV_KEY}. */
  String ENV_KEY_FILE = "DATASTORYBOT_API_KEY_FILE";
  /** How long a key read from a file is trusted before the file is read again. */
  Duration DEFAULT_FILE_TTL = Duration.ofSeconds(30);

  /** The key to send now, or empty when none is configured (DataStoryBot's open beta needs none). */
  Optional<String> current();

  /** Forget any cached value, so the next {@link #current()} reads the source again (used after a 401). */
  default void refresh() {}

  static ApiKeySource of(String key) {
    if (key == null || key.isBlank()) {
      return none();
    }
    return new Static(key.strip());
  }

  static ApiKeySource none() {
    return new Static(null);
  }

  static ApiKeySource fromFile(Path file, Duration ttl, Clock clock) {
    return new FileSource(file, ttl, clock);
  }

  /** {@code DATASTORYBOT_API_KEY_FILE} (re-read on a short TTL) if set, else {@code DATASTORYBOT_API_KEY}, else none. */
  static ApiKeySource fromEnv() {
    return fromEnv(System.getenv(), Clock.systemUTC());
  }

  static ApiKeySource fromEnv(Map<String, String> env, Clock clock) {
    String file = env.get(ENV_KEY_FILE);
    if (file != null && !file.isBlank()) {
      return fromFile(Path.of(file.strip()), DEFAULT_FILE_TTL, clock);
    }
    return of(env.get(ENV_KEY));
  }

  /** A fixed key (or none). */
  final class Static implements ApiKeySource {
    private final String key;

    private Static(String key) {
      this.key = key;
    }

    @Override
    public Optional<String> current() {
      return Optional.ofNullable(key);
    }

    @Override
    public String toString() {
      return key == null ? "ApiKeySource[none]" : "ApiKeySource[static, ****]";
    }
  }

  /** A key read from a secret file, cached for a TTL; a missing or empty file means "no key". */
  final class FileSource implements ApiKeySource {
    private final Path file;
    private final Duration ttl;
    private final Clock clock;
    private String cached;
    private Instant readAt;

    private FileSource(Path file, Duration ttl, Clock clock) {
      this.file = file;
      this.ttl = ttl;
      this.clock = clock;
    }

    @Override
    public synchronized Optional<String> current() {
      Instant now = clock.instant();
      if (readAt == null || !now.isBefore(readAt.plus(ttl))) {
        cached = read();
        readAt = now;
      }
      return Optional.ofNullable(cached);
    }

    @Override
    public synchronized void refresh() {
      readAt = null;
    }

    private String read() {
      try {
        if (!Files.exists(file)) {
          return null;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? null : text;
      } catch (IOException e) {
        // the message of an IOException names the path only, never the content
        throw new UncheckedIOException("cannot read the DataStoryBot key file " + file, e);
      }
    }

    @Override
    public String toString() {
      return "ApiKeySource[file=" + file + ", ttl=" + ttl + "]";
    }
  }
}
