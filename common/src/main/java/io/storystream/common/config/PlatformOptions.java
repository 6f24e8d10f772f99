package io.storystream.common.config;

import io.storystream.common.blob.S3Settings;
import io.storystream.common.kafka.ClientProperties;
import io.storystream.common.kafka.KafkaPreflight;
import io.storystream.common.kafka.KafkaSettings;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the platform is: Kafka, the schema registry, S3 and the data folder. Every service mixes this in
 * ({@code @Mixin PlatformOptions platform}) so that a flag and its environment variable have the same name everywhere:
 * {@code --bootstrap-servers} ↔ {@code STORYSTREAM_BOOTSTRAP_SERVERS}. The defaults are the embedded default's.
 */
public final class PlatformOptions {

  @Option(names = "--bootstrap-servers", defaultValue = "${env:STORYSTREAM_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka bootstrap servers (env STORYSTREAM_BOOTSTRAP_SERVERS; default ${DEFAULT-VALUE}).")
  public String bootstrapServers;

  @Option(names = "--registry-url", defaultValue = "${env:STORYSTREAM_REGISTRY_URL:-http://127.0.0.1:8081}",
      description = "Confluent-compatible schema registry (env STORYSTREAM_REGISTRY_URL; default ${DEFAULT-VALUE}).")
  public String registryUrl;

  @Option(names = "--partitions", defaultValue = "${env:STORYSTREAM_PARTITIONS:-6}",
      description = "Partitions of tenant-keyed topics when this service creates them (env STORYSTREAM_PARTITIONS).")
  public int partitions;

  @Option(names = "--replication-factor", defaultValue = "${env:STORYSTREAM_REPLICATION_FACTOR:-1}",
      description = "Replication factor of topics this service creates (env STORYSTREAM_REPLICATION_FACTOR).")
  public short replicationFactor;

  @Option(names = "--s3-endpoint", defaultValue = "${env:STORYSTREAM_S3_ENDPOINT:-http://127.0.0.1:9000}",
      description = "S3-compatible endpoint (env STORYSTREAM_S3_ENDPOINT; default ${DEFAULT-VALUE}).")
  public String s3Endpoint;

  @Option(names = "--s3-region", defaultValue = "${env:STORYSTREAM_S3_REGION:-us-east-1}",
      description = "S3 region (env STORYSTREAM_S3_REGION).")
  public String s3Region;

  @Option(names = "--s3-bucket", defaultValue = "${env:STORYSTREAM_S3_BUCKET:-storystream}",
      description = "Bucket holding every tenant's objects (env STORYSTREAM_S3_BUCKET).")
  public String s3Bucket;

  @Option(names = "--s3-access-key", defaultValue = "${env:STORYSTREAM_S3_ACCESS_KEY}",
      description = "S3 access key (env STORYSTREAM_S3_ACCESS_KEY); unset: the AWS SDK's default credentials chain "
          + "(AWS_* variables, profile, container or instance role).")
  public String s3AccessKey;

  @Option(names = "--s3-secret-key", defaultValue = "${env:STORYSTREAM_S3_SECRET_KEY}",
      description = "S3 secret key (env STORYSTREAM_S3_SECRET_KEY).")
  public String s3SecretKey;

  @Option(names = "--kafka-properties-file", defaultValue = "${env:STORYSTREAM_KAFKA_PROPERTIES_FILE}",
      description = "Kafka client properties added to every client (SASL, SSL…); STORYSTREAM_KAFKA_<NAME> variables "
          + "add or override single ones, e.g. STORYSTREAM_KAFKA_SASL_MECHANISM=SCRAM-SHA-512.")
  public Path kafkaPropertiesFile;

  @Option(names = "--kafka-connect-timeout", defaultValue = "${env:STORYSTREAM_KAFKA_CONNECT_TIMEOUT:-PT30S}",
      converter = Durations.Converter.class,
      description = "How long a service waits at start-up for Kafka to answer before it stops with what to check "
          + "(env STORYSTREAM_KAFKA_CONNECT_TIMEOUT; default ${DEFAULT-VALUE}).")
  public java.time.Duration kafkaConnectTimeout = java.time.Duration.ofSeconds(30);

  @Option(names = "--registry-basic-auth", defaultValue = "${env:STORYSTREAM_REGISTRY_BASIC_AUTH}",
      description = "user:password for a schema registry behind HTTP basic authentication "
          + "(env STORYSTREAM_REGISTRY_BASIC_AUTH).")
  public String registryBasicAuth;

  /** Client properties given in code (tests and the launcher); null: read from the file and the environment. */
  private java.util.Map<String, String> kafkaClientProperties;

  @Option(names = "--data-dir", defaultValue = "${env:STORYSTREAM_DATA_DIR:-data}",
      description = "Local folder for state stores and generated secrets (env STORYSTREAM_DATA_DIR).")
  public Path dataDir;

  /** The Kafka settings these options describe, with the client properties of the file and the environment. */
  public KafkaSettings kafka() {
    return new KafkaSettings(bootstrapServers, RegistryUrls.withBasicAuth(registryUrl, registryBasicAuth), partitions,
        replicationFactor, kafkaClientProperties != null ? kafkaClientProperties
            : ClientProperties.load(kafkaPropertiesFile, System.getenv()));
  }

  /** Stops with a clear message when Kafka cannot be used with these settings (see {@link KafkaPreflight}). */
  public KafkaSettings checkedKafka() {
    KafkaSettings kafka = kafka();
    KafkaPreflight.check(kafka, kafkaConnectTimeout == null ? java.time.Duration.ofSeconds(30) : kafkaConnectTimeout);
    return kafka;
  }

  public S3Settings s3() {
    return new S3Settings(s3Endpoint, s3Region, s3Bucket, s3AccessKey, s3SecretKey);
  }

  /** For tests and the launcher, which know the addresses instead of reading flags. */
  public static PlatformOptions of(KafkaSettings kafka, S3Settings s3, Path dataDir) {
    PlatformOptions o = new PlatformOptions();
    o.bootstrapServers = kafka.bootstrapServers();
    o.registryUrl = kafka.registryUrl();
    o.partitions = kafka.tenantPartitions();
    o.replicationFactor = kafka.replicationFactor();
    o.s3Endpoint = s3.endpoint();
    o.s3Region = s3.region();
    o.s3Bucket = s3.bucket();
    o.s3AccessKey = s3.accessKey();
    o.s3SecretKey = s3.secretKey();
    o.kafkaClientProperties = kafka.clientProperties();
    o.dataDir = dataDir;
    return o;
  }
}
