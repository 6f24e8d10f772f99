package io.storystream.embedded;

import io.storystream.common.blob.BlobStore;
import io.storystream.common.blob.S3Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real S3 API on 127.0.0.1 (S3Proxy) backed by a folder, so objects survive a restart; or by memory for tests
 * that want nothing on disk. Clients sign requests with AWS V4 as they would against AWS or MinIO.
 */
public final class EmbeddedS3 implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedS3.class);
  public static final String ACCESS_KEY = "storystream";
  public static final String SECRET_KEY = "storystream-local-secret";

  private final Path dir; // null = in memory
  private final int port;
  private final String bucket;
  private S3Proxy proxy;

  public EmbeddedS3(Path dir, int port, String bucket) {
    this.dir = dir;
    this.port = FreePorts.orPick(port);
    this.bucket = bucket;
  }

  public EmbeddedS3 start() throws Exception {
    Properties props = new Properties();
    String backend;
    if (dir == null) {
      backend = "transient";
    } else {
      Files.createDirectories(dir);
      backend = "filesystem";
      props.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().normalize().toString());
    }
    proxy = S3Proxy.builder()
        .blobStore(BlobStores.create(backend, props))
        .endpoint(URI.create(endpoint()))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      Thread.sleep(10); // S3Proxy starts Jetty asynchronously and offers no future to wait on
    }
    try (BlobStore store = new BlobStore(settings())) {
      store.ensureBucket();
    }
    log.info("S3 endpoint ready on {} (bucket {}, {})", endpoint(), bucket, dir == null ? "in memory" : dir);
    return this;
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public S3Settings settings() {
    return new S3Settings(endpoint(), "us-east-1", bucket, ACCESS_KEY, SECRET_KEY);
  }

  @Override
  public void close() throws Exception {
    if (proxy != null) {
      proxy.stop();
      proxy = null;
    }
  }
}
