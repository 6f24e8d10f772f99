package io.storystream.common.ops;

import io.storystream.common.config.Secrets;
import io.storystream.common.config.TokenStrength;
import picocli.CommandLine.Option;

/**
 * The management port's flags, mixed into every service command ({@code @Mixin ManagementOptions management}).
 */
public final class ManagementOptions {

  @Option(names = "--management-host", defaultValue = "${env:STORYSTREAM_MANAGEMENT_HOST:-127.0.0.1}",
      description = "Address of the management port: metrics and health (env STORYSTREAM_MANAGEMENT_HOST; "
          + "default ${DEFAULT-VALUE}). Keep it on an internal network: its metrics name every tenant.")
  public String host;

  @Option(names = "--management-port", defaultValue = "${env:STORYSTREAM_MANAGEMENT_PORT:-8084}",
      description = "Management port: /metrics, /health/live, /health/ready (env STORYSTREAM_MANAGEMENT_PORT; "
          + "default ${DEFAULT-VALUE}; 0 picks a free port).")
  public int port;

  @Option(names = "--metrics-max-tenants", defaultValue = "${env:STORYSTREAM_METRICS_MAX_TENANTS:-500}",
      description = "Distinct tenants that get their own metrics label; later ones share the label '_other' "
          + "(env STORYSTREAM_METRICS_MAX_TENANTS; default ${DEFAULT-VALUE}).")
  public int maxTenants;

  @Option(names = "--metrics-token", defaultValue = "${env:STORYSTREAM_METRICS_TOKEN}",
      description = "Bearer token /metrics requires (env STORYSTREAM_METRICS_TOKEN; unset: "
          + "<data-dir>/metrics-token, created on first start).")
  public String metricsToken;

  public Management management() {
    return new Management(maxTenants);
  }

  /** Starts the management port; the metrics token is the given one, or the one kept in the data folder. */
  public ManagementServer start(Management management, java.nio.file.Path dataDir) throws java.io.IOException {
    String token = Secrets.givenOrStored(metricsToken, dataDir.toAbsolutePath().resolve("metrics-token"), "ssm_");
    TokenStrength.requireStrong(token, "the metrics token (STORYSTREAM_METRICS_TOKEN)");
    return ManagementServer.start(host, port, management, token);
  }
}
