package io.storystream.datastorybot.standin;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code datastorybot-standin}: runs the stand-in as its own process. Every flag has an environment variable of the
 * same name ({@code --port} ↔ {@code STORYSTREAM_STANDIN_PORT}).
 *
 * <p>Fault specs are {@code [endpoint:]fault[:times][@probability]}, e.g. {@code unavailable} (every call),
 * {@code analyze:rate-limited:3} (the next three analyze calls), {@code refine:internal-error@0.1} (one refine call in
 * ten). Faults: rate-limited, internal-error, bad-gateway, unavailable, gateway-timeout, container-busy,
 * container-expired, malformed-json, hang. Endpoints: upload, analyze, refine, files.
 */
@Command(name = "datastorybot-standin", mixinStandardHelpOptions = true, version = "datastorybot-standin 0.1.0",
    description = "Offline DataStoryBot-compatible server that really analyses CSVs, with latency and fault switches.")
public final class StandInCommand implements Callable<Integer> {

  @Option(names = "--host", defaultValue = "${env:STORYSTREAM_STANDIN_HOST:-127.0.0.1}",
      description = "Address to listen on (env STORYSTREAM_STANDIN_HOST; default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "${env:STORYSTREAM_STANDIN_PORT:-8090}",
      description = "Port, 0 for a free one (env STORYSTREAM_STANDIN_PORT; default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--api-key", split = ",", defaultValue = "${env:STORYSTREAM_STANDIN_API_KEY:-}",
      description = "Accepted Bearer key(s); none = no authentication (env STORYSTREAM_STANDIN_API_KEY).")
  List<String> apiKeys = new ArrayList<>();

  @Option(names = "--latency", defaultValue = "${env:STORYSTREAM_STANDIN_LATENCY:-0ms}",
      description = "Added latency per API call, e.g. 250ms, 2s, PT1M (env STORYSTREAM_STANDIN_LATENCY).")
  String latency;

  @Option(names = "--fault", split = ",", defaultValue = "${env:STORYSTREAM_STANDIN_FAULT:-}",
      description = "Injected fault(s) [endpoint:]fault[:times][@probability] (env STORYSTREAM_STANDIN_FAULT).")
  List<String> faults = new ArrayList<>();

  @Option(names = "--retry-after", defaultValue = "${env:STORYSTREAM_STANDIN_RETRY_AFTER:-2}",
      description = "Retry-After seconds sent with 429 and 503 (env STORYSTREAM_STANDIN_RETRY_AFTER).")
  long retryAfterSeconds;

  @Option(names = "--max-upload-bytes", defaultValue = "${env:STORYSTREAM_STANDIN_MAX_UPLOAD_BYTES:-52428800}",
      description = "Upload limit; larger files get 413 (env STORYSTREAM_STANDIN_MAX_UPLOAD_BYTES).")
  long maxUploadBytes;

  public StandInConfig config() {
    Set<String> keys = Set.copyOf(apiKeys.stream().map(String::strip).filter(k -> !k.isEmpty()).toList());
    return new StandInConfig(host, port, keys, duration(latency), maxUploadBytes, StandInConfig.CONTAINER_TTL,
        Clock.systemUTC());
  }

  /** Applies the fault flags and Retry-After to a running stand-in's switches. */
  public void applyFaults(Faults target) {
    target.retryAfter(Duration.ofSeconds(retryAfterSeconds));
    for (String spec : faults) {
      if (!spec.isBlank()) {
        applyFault(target, spec.strip());
      }
    }
  }

  static void applyFault(Faults target, String spec) {
    double probability = 1;
    String rest = spec;
    int at = rest.indexOf('@');
    if (at >= 0) {
      probability = Double.parseDouble(rest.substring(at + 1));
      rest = rest.substring(0, at);
    }
    String[] parts = rest.split(":");
    Endpoint endpoint = Faults.ANY;
    int i = 0;
    if (parts.length > 1 && isEndpoint(parts[0])) {
      endpoint = Endpoint.parse(parts[0]);
      i = 1;
    }
    Fault fault = Fault.parse(parts[i]);
    int times = parts.length > i + 1 ? Integer.parseInt(parts[i + 1]) : 0;
    if (probability < 1) {
      target.sometimes(endpoint, fault, probability);
    } else if (times > 0) {
      target.inject(endpoint, fault, times);
    } else {
      target.always(endpoint, fault);
    }
  }

  private static boolean isEndpoint(String text) {
    try {
      Endpoint.parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The platform's one duration rule ({@link io.storystream.common.config.Durations}): 250ms, 2s, 1m, PT2S or 0. */
  static Duration duration(String text) {
    return io.storystream.common.config.Durations.parse(text);
  }

  @Override
  public Integer call() throws InterruptedException {
    StandInServer server = StandInServer.start(config());
    applyFaults(server.faults());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "standin-shutdown"));
    System.out.println("DataStoryBot stand-in ready on " + server.baseUri());
    stopped.await();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new StandInCommand()).execute(args));
  }
}
