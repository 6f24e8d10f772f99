package io.storystream.common.blob;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The one S3 bucket storystream keeps files and results in. Callers pass keys built from the authenticated tenant
 * ({@code tenants/{tenantId}/…}); this class never invents a tenant.
 */
public final class BlobStore implements AutoCloseable {
  private final S3Client s3;
  private final String bucket;
  private volatile java.util.function.Predicate<String> writeFence = key -> false;

  /** Refused write of an object under the prefix of a tenant that is being erased (see {@link #fenceWrites}). */
  public static final class WriteFencedException extends RuntimeException {
    public WriteFencedException(String key) {
      super("write refused: the tenant of " + key.replaceFirst("^(tenants/[^/]+/).*$", "$1") + " is erased");
    }
  }

  public BlobStore(S3Settings settings) {
    this.bucket = settings.bucket();
    var builder = S3Client.builder();
    if (settings.endpoint() != null && !settings.endpoint().isBlank()) {
      builder.endpointOverride(URI.create(settings.endpoint())); // S3Proxy, MinIO; none: AWS's own endpoint
    }
    this.s3 = builder
        .region(Region.of(settings.region()))
        .credentialsProvider(credentials(settings))
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true)
            .checksumValidationEnabled(false).build())
        .httpClient(Apache5HttpClient.builder().maxConnections(64)
            .connectionTimeout(Duration.ofSeconds(5)).socketTimeout(Duration.ofSeconds(60)).build())
        .build();
  }

  /**
   * A static key when one is given; otherwise the AWS SDK's default chain (environment, system properties, web
   * identity, the shared profile, container and instance credentials), so on AWS a role is used and no key is kept.
   */
  static AwsCredentialsProvider credentials(S3Settings settings) {
    if (settings.accessKey() == null || settings.accessKey().isBlank()) {
      return DefaultCredentialsProvider.builder().build();
    }
    if (settings.secretKey() == null || settings.secretKey().isBlank()) {
      throw new IllegalArgumentException("an S3 access key was given without its secret key");
    }
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
  }

  public S3Client client() {
    return s3;
  }

  public String bucket() {
    return bucket;
  }

  /** Creates the bucket unless it exists. */
  public void ensureBucket() {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (S3Exception missing) {
      try {
        s3.createBucket(b -> b.bucket(bucket));
      } catch (BucketAlreadyOwnedByYouException alreadyThere) {
        // another instance created it a moment ago
      }
    }
  }

  /**
   * A fence checked right before and right after every put: a key it refuses is not written, and one refused by the
   * time its put returns (the erasure came while it was in flight) is deleted again and reported as refused — so a
   * writer that learns of an erasure stops adding objects under the tenant's prefix and takes back the one it raced.
   */
  public BlobStore fenceWrites(java.util.function.Predicate<String> refused) {
    this.writeFence = refused;
    return this;
  }

  /** The tenant of a key under {@code tenants/{tenantId}/}, or null. */
  public static String tenantOfKey(String key) {
    if (!key.startsWith("tenants/")) {
      return null;
    }
    int end = key.indexOf('/', "tenants/".length());
    return end < 0 ? null : key.substring("tenants/".length(), end);
  }

  public void put(String key, byte[] content, String contentType) {
    fenced(key, () -> s3.putObject(p -> p.bucket(bucket).key(key).contentType(contentType),
        RequestBody.fromBytes(content)));
  }

  /** Streams {@code length} bytes from {@code content}; nothing is buffered whole. */
  public void put(String key, InputStream content, long length, String contentType) {
    fenced(key, () -> s3.putObject(p -> p.bucket(bucket).key(key).contentType(contentType).contentLength(length),
        RequestBody.fromInputStream(content, length)));
  }

  private void fenced(String key, Runnable put) {
    if (writeFence.test(key)) {
      throw new WriteFencedException(key);
    }
    put.run();
    if (writeFence.test(key)) {
      delete(key);
      throw new WriteFencedException(key);
    }
  }

  public Optional<byte[]> get(String key) {
    try {
      ResponseBytes<GetObjectResponse> bytes = s3.getObjectAsBytes(g -> g.bucket(bucket).key(key));
      return Optional.of(bytes.asByteArray());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  /** An open stream of the object, or empty; the caller closes it. */
  public Optional<ResponseInputStream<GetObjectResponse>> open(String key) {
    try {
      return Optional.of(s3.getObject(g -> g.bucket(bucket).key(key)));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    }
  }

  public boolean exists(String key) {
    try {
      s3.headObject(h -> h.bucket(bucket).key(key));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  public void delete(String key) {
    s3.deleteObject(d -> d.bucket(bucket).key(key));
  }

  /** Every object under a prefix, in key order. */
  public List<S3Object> list(String prefix) {
    List<S3Object> objects = new ArrayList<>();
    ListObjectsV2Request request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build();
    s3.listObjectsV2Paginator(request).contents().forEach(objects::add);
    return objects;
  }

  /** Deletes every object under a prefix and returns the keys deleted. */
  public List<String> deletePrefix(String prefix) {
    if (prefix == null || prefix.isEmpty() || !prefix.endsWith("/")) {
      throw new IllegalArgumentException("a prefix to delete must be non-empty and end with '/'");
    }
    List<String> deleted = new ArrayList<>();
    List<S3Object> objects = list(prefix);
    for (int i = 0; i < objects.size(); i += 1000) {
      List<ObjectIdentifier> batch = objects.subList(i, Math.min(objects.size(), i + 1000)).stream()
          .map(o -> ObjectIdentifier.builder().key(o.key()).build()).toList();
      s3.deleteObjects(d -> d.bucket(bucket).delete(Delete.builder().objects(batch).quiet(true).build()));
      batch.forEach(o -> deleted.add(o.key()));
    }
    return deleted;
  }

  @Override
  public void close() {
    s3.close();
  }
}
