package io.storystream.billing.tables;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the billing tables are: {@code --postgres-url} ({@code STORYSTREAM_POSTGRES_URL}) with
 * {@code STORYSTREAM_POSTGRES_USER} and {@code STORYSTREAM_POSTGRES_PASSWORD} for an existing server; without a URL,
 * the embedded default's server on 127.0.0.1:{@code --postgres-port}, password in {@code <data>/postgres-password}.
 */
public final class PostgresOptions {
  @Option(names = "--postgres-url", defaultValue = "${env:STORYSTREAM_POSTGRES_URL}",
      description = "JDBC URL of an existing PostgreSQL for the billing tables (env STORYSTREAM_POSTGRES_URL); "
          + "unset: the embedded default's server.")
  public String url;

  @Option(names = "--postgres-user", defaultValue = "${env:STORYSTREAM_POSTGRES_USER:-storystream}",
      description = "Its user (env STORYSTREAM_POSTGRES_USER; default ${DEFAULT-VALUE}).")
  public String user;

  @Option(names = "--postgres-password", defaultValue = "${env:STORYSTREAM_POSTGRES_PASSWORD}",
      description = "Its password (env STORYSTREAM_POSTGRES_PASSWORD; prefer the variable).")
  public String password;

  @Option(names = "--postgres-port", defaultValue = "${env:STORYSTREAM_POSTGRES_PORT:-5432}",
      description = "Port of the embedded default's PostgreSQL on 127.0.0.1 (env STORYSTREAM_POSTGRES_PORT).")
  public int port;

  /** True when an existing server was named, so no PostgreSQL needs to be started. */
  public boolean external() {
    return url != null && !url.isBlank();
  }

  /** The configured server, or the embedded default's (reading its password from {@code <data>}). */
  public PostgresConnection connection(Path dataDir) throws IOException {
    if (external()) {
      return new PostgresConnection(url, user, password == null ? "" : password);
    }
    Path file = dataDir.resolve("postgres-password");
    if (!Files.exists(file)) {
      throw new IllegalStateException("no STORYSTREAM_POSTGRES_URL and no " + file
          + ": start the embedded default first, or name the server");
    }
    return new PostgresConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + PostgresServer.DATABASE,
        PostgresServer.USER, Files.readString(file).trim());
  }
}
