package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.storystream.testsupport.TestTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml cannot run here (no Docker engine), so it is checked the two ways that need none: Compose's
 * own validator, and the shape the deployment relies on.
 */
class DockerComposeFileTest {
  private static final Path FILE = Path.of("..", "docker-compose.yml");
  /** Every secret the file requires, with the value a test gives it. */
  private static final Map<String, String> SECRETS = Map.ofEntries(
      Map.entry("STORYSTREAM_OPERATOR_TOKEN", "sso_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"),
      Map.entry("STORYSTREAM_PEPPER", "00112233445566778899aabbccddeeff"),
      Map.entry("STORYSTREAM_MASTER_KEYS", "mk_1=3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b"),
      Map.entry("STORYSTREAM_BILLING_TOKEN", "ssb_1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809"),
      Map.entry("STORYSTREAM_METRICS_TOKEN", "ssm_2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a"),
      Map.entry("STORYSTREAM_S3_SECRET_KEY", "s3-bucket-user-secret-5e6f7081"),
      Map.entry("MINIO_ROOT_PASSWORD", "minio-root-secret-92a3b4c5"),
      Map.entry("KAFKA_ADMIN_PASSWORD", "kafkaadmin7f8091a2"),
      Map.entry("KAFKA_PASSWORD_INGRESS", "ingresspw3c4d5e6f"),
      Map.entry("KAFKA_PASSWORD_PROCESSOR", "processorpw708192a3"),
      Map.entry("KAFKA_PASSWORD_BILLING", "billingpwb4c5d6e7"),
      Map.entry("KAFKA_PASSWORD_BILLING_SINK", "billingsinkpw6e7f8091"),
      Map.entry("POSTGRES_PASSWORD", "postgrespw0a1b2c3d4e5f"),
      Map.entry("KAFKA_PASSWORD_SCHEMA_REGISTRY", "registrypwf8091a2b"));

  @Test
  void composeValidatesTheFile() throws Exception {
    TestTools.require("docker-compose");
    Process process = compose("config", "-q");
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("docker-compose config -q: %s", output).isZero();
  }

  /** Checked on Compose's resolved form, where the shared blocks (YAML merge keys) are already expanded. */
  @Test
  void threeBrokersARegistryAndMinioWithHealthChecksAndOrderedStart() throws Exception {
    TestTools.require("docker-compose");
    Process process = compose("config");
    byte[] resolved = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(resolved);
    JsonNode services = compose.path("services");
    for (String service : List.of("kafka-1", "kafka-2", "kafka-3", "schema-registry", "minio", "postgres")) {
      assertThat(services.path(service).has("healthcheck")).as("%s has a health check", service).isTrue();
    }
    assertThat(List.of("kafka-1", "kafka-2", "kafka-3")).allSatisfy(broker -> {
      assertThat(services.path(broker).path("entrypoint").toString()).contains("/opt/storystream/kafka-broker.sh");
      assertThat(services.path(broker).path("volumes").toString()).contains("deploy/kafka-broker.sh");
    });
    List<String> storystreamServices = new ArrayList<>();
    services.fields().forEachRemaining(e -> {
      // the DataStoryBot stand-in stands outside the system, like DataStoryBot itself: no Kafka
      if ("storystream:local".equals(e.getValue().path("image").asText()) && !e.getKey().equals("datastorybot-standin")) {
        storystreamServices.add(e.getKey());
      }
    });
    assertThat(storystreamServices).isNotEmpty();
    for (String service : storystreamServices) {
      JsonNode dependsOn = services.path(service).path("depends_on");
      assertThat(dependsOn.path("kafka-1").path("condition").asText()).as(service).isEqualTo("service_healthy");
      assertThat(services.path(service).path("environment").path("STORYSTREAM_BOOTSTRAP_SERVERS").asText())
          .as(service).contains("kafka-1:9092", "kafka-2:9092", "kafka-3:9092");
    }
  }

  /** Each secret is required from the environment: without it the file does not resolve, and says which. */
  @Test
  void refusesToResolveWithoutAnyOneOfItsSecrets() throws Exception {
    TestTools.require("docker-compose");
    for (String secret : SECRETS.keySet()) {
      ProcessBuilder builder = new ProcessBuilder("docker-compose", "-f", FILE.toString(), "config", "-q")
          .redirectErrorStream(true);
      builder.environment().putAll(SECRETS);
      builder.environment().remove(secret);
      Process process = builder.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as("resolves without %s", secret).isNotZero();
      assertThat(output).contains(secret);
    }
    // and none of them has a default written in the file
    String text = java.nio.file.Files.readString(FILE);
    for (String secret : SECRETS.keySet()) {
      assertThat(text).as(secret).doesNotContain("${" + secret + ":-").doesNotContain("${" + secret + "-");
    }
  }

  @Test
  void publishesOnlyTheTenantApiAndTheOperatorApiOnLoopback() throws Exception {
    JsonNode services = resolvedServices();
    List<String> published = new ArrayList<>();
    services.fields().forEachRemaining(e -> e.getValue().path("ports").forEach(p -> published.add(e.getKey() + " "
        + (p.isTextual() ? p.asText() : p.path("host_ip").asText("") + ":" + p.path("published").asText() + ":"
            + p.path("target").asText()))));
    assertThat(published).hasSize(3);
    assertThat(published).anySatisfy(p -> assertThat(p).matches("ingress :?8080:8080"))
        .anySatisfy(p -> assertThat(p).startsWith("ingress 127.0.0.1:8082:8082"))
        .anySatisfy(p -> assertThat(p).startsWith("grafana 127.0.0.1:3000:3000"));
    for (String internal : List.of("kafka-1", "kafka-2", "kafka-3", "schema-registry", "minio", "billing",
        "processor", "datastorybot-standin", "prometheus", "postgres", "billing-sink")) {
      assertThat(services.path(internal).path("ports").isMissingNode()
          || services.path(internal).path("ports").isEmpty()).as("%s publishes nothing", internal).isTrue();
    }
    JsonNode compose = resolved();
    assertThat(compose.path("networks").path("backend").path("internal").asBoolean()).isTrue();
    for (String internal : List.of("kafka-1", "schema-registry", "minio", "billing", "postgres", "billing-sink")) {
      assertThat(networks(services.path(internal))).as(internal).containsExactly("backend");
    }
  }

  @Test
  void everyServiceHasItsOwnKafkaPrincipalWithAclsCreatedByTheTopicsJob() throws Exception {
    JsonNode services = resolvedServices();
    Map<String, String> principals = Map.of("ingress", "ingress", "processor", "processor", "billing", "billing",
        "billing-sink", "billing-sink");
    principals.forEach((service, user) -> {
      JsonNode env = services.path(service).path("environment");
      assertThat(env.path("STORYSTREAM_KAFKA_SECURITY_PROTOCOL").asText()).as(service).isEqualTo("SASL_PLAINTEXT");
      assertThat(env.path("STORYSTREAM_KAFKA_SASL_MECHANISM").asText()).as(service).isEqualTo("SCRAM-SHA-512");
      assertThat(env.path("STORYSTREAM_KAFKA_SASL_JAAS_CONFIG").asText()).as(service)
          .contains("ScramLoginModule", "username=\"" + user + "\"", "password=\"" + SECRETS.get(
              "KAFKA_PASSWORD_" + user.toUpperCase(java.util.Locale.ROOT).replace('-', '_')) + "\"");
    });
    assertThat(services.path("schema-registry").path("environment").path("SCHEMA_REGISTRY_KAFKASTORE_SASL_JAAS_CONFIG")
        .asText()).contains("username=\"schema-registry\"");
    JsonNode topics = services.path("topics").path("environment");
    assertThat(topics.path("STORYSTREAM_KAFKA_SASL_JAAS_CONFIG").asText()).contains("username=\"admin\"");
    assertThat(topics.path("STORYSTREAM_SCRAM_USERS").asText().split(","))
        .containsExactlyInAnyOrder("ingress", "processor", "billing", "billing-sink", "schema-registry");
    assertThat(topics.path("STORYSTREAM_SCRAM_PASSWORD_BILLING_SINK").asText())
        .isEqualTo(SECRETS.get("KAFKA_PASSWORD_BILLING_SINK"));
    assertThat(ServiceAcls.parse(topics.path("STORYSTREAM_ACLS").asText())).isEqualTo(Map.of("ingress",
        "User:ingress", "processor", "User:processor", "billing", "User:billing", "billing-sink", "User:billing-sink",
        "schema-registry", "User:schema-registry"));
    // the sink reads statements and nothing else: no write, no group, no transaction, no other topic
    assertThat(ServiceAcls.bindings("billing-sink", "User:billing-sink")).extracting(
            b -> b.pattern().resourceType() + " " + b.pattern().name() + " " + b.pattern().patternType() + " "
                + b.entry().operation() + " " + b.entry().permissionType() + " " + b.entry().principal())
        .containsExactlyInAnyOrder(
            "TOPIC billing-statements LITERAL READ ALLOW User:billing-sink",
            "TOPIC billing-statements LITERAL DESCRIBE ALLOW User:billing-sink");
    // no service authenticates as the administrator, and no broker listens without SASL
    services.fields().forEachRemaining(e -> {
      if (!e.getKey().equals("topics")) {
        assertThat(e.getValue().path("environment").toString()).as(e.getKey()).doesNotContain("username=\\\"admin");
      }
    });
    String broker = java.nio.file.Files.readString(Path.of("..", "deploy", "kafka-broker.sh"));
    assertThat(broker).contains("allow.everyone.if.no.acl.found=false", "super.users=User:admin")
        .doesNotContain("PLAINTEXT:PLAINTEXT");
  }

  /** The broker's configuration, as the script writes it, is one Kafka itself accepts. */
  @Test
  void theBrokerScriptWritesAValidSecureKafkaConfiguration() throws Exception {
    String script = java.nio.file.Files.readString(Path.of("..", "deploy", "kafka-broker.sh"));
    int start = script.indexOf("<<PROPERTIES\n") + "<<PROPERTIES\n".length();
    String text = script.substring(start, script.indexOf("\nPROPERTIES\n", start))
        .replace("${KAFKA_NODE_ID}", "2").replace("${KAFKA_ADMIN_PASSWORD}", "0123456789abcdef");
    java.util.Properties props = new java.util.Properties();
    props.load(new java.io.StringReader(text));
    kafka.server.KafkaConfig config = kafka.server.KafkaConfig.fromProps(props);
    assertThat(config.nodeId()).isEqualTo(2);
    assertThat(props.getProperty("listener.security.protocol.map")).doesNotContain(":PLAINTEXT");
    assertThat(props.getProperty("authorizer.class.name")).endsWith("StandardAuthorizer");
  }

  @Test
  void servicesSignWithTheBucketUserNeverMinioRoot() throws Exception {
    JsonNode services = resolvedServices();
    for (String service : List.of("ingress", "processor", "billing")) {
      JsonNode env = services.path(service).path("environment");
      assertThat(env.path("STORYSTREAM_S3_ACCESS_KEY").asText()).as(service).isEqualTo("storystream");
      assertThat(env.path("STORYSTREAM_S3_SECRET_KEY").asText()).as(service)
          .isEqualTo(SECRETS.get("STORYSTREAM_S3_SECRET_KEY"));
      assertThat(env.toString()).as(service).doesNotContain(SECRETS.get("MINIO_ROOT_PASSWORD"));
    }
    String bucketJob = services.path("minio-bucket").path("command").toString();
    assertThat(bucketJob).contains("mc admin user add local storystream", "arn:aws:s3:::storystream/*",
        "mc admin policy attach local storystream-bucket --user storystream");
  }

  @Test
  void everyLongRunningServiceHasAHealthCheckAndTimeToStopAndReplicasGetDistinctWorkerIds() throws Exception {
    JsonNode services = resolvedServices();
    services.fields().forEachRemaining(e -> {
      if (e.getValue().path("restart").asText().equals("unless-stopped")) {
        assertThat(e.getValue().has("healthcheck")).as("%s has a health check", e.getKey()).isTrue();
      }
    });
    for (String service : List.of("processor", "ingress", "billing", "billing-sink")) {
      assertThat(services.path(service).path("healthcheck").path("test").toString()).as(service)
          .contains("localhost:8084/health/ready");
      assertThat(java.time.Duration.parse("PT" + services.path(service).path("stop_grace_period").asText()
          .replace("m", "M").toUpperCase(java.util.Locale.ROOT))).as(service)
          .isGreaterThanOrEqualTo(java.time.Duration.ofSeconds(60));
    }
    // the worker instance id comes from each replica's host name, never from a value shared by every replica
    assertThat(services.path("processor").path("environment").has("STORYSTREAM_WORKER_INSTANCE_ID")).isFalse();
    assertThat(services.path("processor").path("volumes").toString()).doesNotContain("processor:/data");
  }

  /**
   * PostgreSQL for the billing tables: its password only from the environment (given to it and to the sink, nobody
   * else), network logins by SCRAM, on the backend network only; the sink waits for it and names it by URL.
   */
  @Test
  void postgresAndTheBillingSinkShareOnlyTheDatabasePasswordAndTheSinkReadsStatementsAsItsOwnUser() throws Exception {
    JsonNode services = resolvedServices();
    JsonNode postgres = services.path("postgres");
    assertThat(postgres.path("image").asText()).startsWith("postgres:");
    assertThat(postgres.path("environment").path("POSTGRES_PASSWORD").asText()).isEqualTo(SECRETS.get("POSTGRES_PASSWORD"));
    assertThat(postgres.path("environment").path("POSTGRES_DB").asText()).isEqualTo("storystream");
    assertThat(postgres.path("environment").path("POSTGRES_USER").asText()).isEqualTo("storystream");
    assertThat(postgres.path("environment").path("POSTGRES_HOST_AUTH_METHOD").asText()).isEqualTo("scram-sha-256");
    assertThat(postgres.path("volumes").toString()).contains("/var/lib/postgresql/data");

    JsonNode sink = services.path("billing-sink");
    assertThat(sink.path("command").toString()).isEqualTo("[\"billing\",\"sink\"]");
    JsonNode env = sink.path("environment");
    assertThat(env.path("STORYSTREAM_POSTGRES_URL").asText()).isEqualTo("jdbc:postgresql://postgres:5432/storystream");
    assertThat(env.path("STORYSTREAM_POSTGRES_USER").asText()).isEqualTo("storystream");
    assertThat(env.path("STORYSTREAM_POSTGRES_PASSWORD").asText()).isEqualTo(SECRETS.get("POSTGRES_PASSWORD"));
    assertThat(env.toString()).as("the sink holds no secret it does not use")
        .doesNotContain(SECRETS.get("STORYSTREAM_S3_SECRET_KEY"), SECRETS.get("STORYSTREAM_BILLING_TOKEN"),
            SECRETS.get("STORYSTREAM_OPERATOR_TOKEN"), SECRETS.get("KAFKA_PASSWORD_BILLING"));
    assertThat(sink.path("depends_on").path("postgres").path("condition").asText()).isEqualTo("service_healthy");
    assertThat(sink.path("depends_on").path("topics").path("condition").asText())
        .isEqualTo("service_completed_successfully");
    assertThat(sink.path("healthcheck").path("test").toString()).contains("localhost:8084/health/ready");
    // the database password reaches only the database and the sink
    services.fields().forEachRemaining(e -> {
      if (!List.of("postgres", "billing-sink").contains(e.getKey())) {
        assertThat(e.getValue().toString()).as(e.getKey()).doesNotContain(SECRETS.get("POSTGRES_PASSWORD"));
      }
    });
  }

  @Test
  void dockerignoreKeepsDataGitAndBuildOutputOutOfTheImage() throws Exception {
    List<String> lines = java.nio.file.Files.readAllLines(Path.of("..", ".dockerignore"));
    assertThat(lines).contains("data/", ".git/", "target/", "**/target/");
  }

  private static JsonNode resolved() throws Exception {
    TestTools.require("docker-compose");
    Process process = compose("config");
    byte[] resolved = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new ObjectMapper(new YAMLFactory()).readTree(resolved);
  }

  private static JsonNode resolvedServices() throws Exception {
    return resolved().path("services");
  }

  private static List<String> networks(JsonNode service) {
    List<String> names = new ArrayList<>();
    JsonNode n = service.path("networks");
    if (n.isArray()) {
      n.forEach(x -> names.add(x.asText()));
    } else {
      n.fieldNames().forEachRemaining(names::add);
    }
    return names;
  }

  @Test
  void theServicesStartInOrderWithHealthChecksAndOneConfigurationVocabulary() throws Exception {
    TestTools.require("docker-compose");
    Process process = compose("config");
    byte[] resolved = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(resolved).path("services");
    Map<String, String> commands = Map.of("ingress", "ingress", "processor", "processor", "billing", "billing",
        "datastorybot-standin", "datastorybot-standin");
    commands.forEach((service, command) ->
        assertThat(services.path(service).path("command").get(0).asText()).as(service).isEqualTo(command));
    for (String service : List.of("ingress", "billing", "datastorybot-standin")) {
      assertThat(services.path(service).path("healthcheck").path("test").toString()).as(service).contains("curl");
    }
    for (String service : List.of("ingress", "processor", "billing")) {
      JsonNode dependsOn = services.path(service).path("depends_on");
      assertThat(dependsOn.path("topics").path("condition").asText()).as(service)
          .isEqualTo("service_completed_successfully");
      assertThat(dependsOn.path("schema-registry").path("condition").asText()).as(service).isEqualTo("service_healthy");
    }
    assertThat(services.path("ingress").path("depends_on").path("billing").path("condition").asText())
        .isEqualTo("service_healthy");
    assertThat(services.path("processor").path("environment").path("DATASTORYBOT_URL").asText())
        .isEqualTo("http://datastorybot-standin:8090");
    assertThat(services.path("ingress").path("environment").path("STORYSTREAM_BILLING_URL").asText())
        .isEqualTo("http://billing:8083");
  }

  /**
   * The observability profile: Prometheus (internal network only) scrapes the management port of every storystream
   * service with the metrics token from the environment, Grafana is provisioned with its data source and dashboard,
   * and neither starts without the profile.
   */
  @Test
  void theObservabilityProfileScrapesEveryServiceWithTheMetricsToken() throws Exception {
    JsonNode services = resolvedServices();
    for (String tool : List.of("prometheus", "grafana")) {
      assertThat(services.path(tool).path("profiles").toString()).as(tool).contains("observability");
    }
    assertThat(networks(services.path("prometheus"))).containsExactly("backend");
    assertThat(services.path("prometheus").path("environment").path("STORYSTREAM_METRICS_TOKEN").asText())
        .isEqualTo(SECRETS.get("STORYSTREAM_METRICS_TOKEN"));
    assertThat(services.path("prometheus").path("command").toString()).contains("/tmp/metrics-token");
    assertThat(services.path("grafana").path("environment").path("GF_SECURITY_ADMIN_PASSWORD").asText())
        .isEqualTo(SECRETS.get("STORYSTREAM_OPERATOR_TOKEN"));
    JsonNode prometheus = new ObjectMapper(new YAMLFactory()).readTree(
        Path.of("..", "deploy", "prometheus", "prometheus.yml").toFile());
    JsonNode job = prometheus.path("scrape_configs").path(0);
    assertThat(job.path("authorization").path("credentials_file").asText()).isEqualTo("/tmp/metrics-token");
    List<String> scraped = new ArrayList<>();
    job.path("dns_sd_configs").path(0).path("names").forEach(n -> scraped.add(n.asText()));
    // every service that opens a management port is scraped, and nothing else
    List<String> managed = new ArrayList<>();
    services.fields().forEachRemaining(e -> {
      if (e.getValue().path("environment").has("STORYSTREAM_MANAGEMENT_PORT")) {
        managed.add(e.getKey());
      }
    });
    assertThat(managed).contains("ingress", "processor", "billing", "billing-sink");
    assertThat(scraped).containsExactlyInAnyOrderElementsOf(managed);
    assertThat(job.path("dns_sd_configs").path(0).path("port").asInt()).isEqualTo(8084);
    for (String service : scraped) {
      assertThat(services.path(service).path("environment").path("STORYSTREAM_MANAGEMENT_PORT").asText())
          .as(service).isEqualTo("8084");
    }
    JsonNode dashboard = new ObjectMapper().readTree(
        Path.of("..", "deploy", "grafana", "dashboards", "storystream.json").toFile());
    assertThat(dashboard.path("panels").size()).isGreaterThanOrEqualTo(10);
    assertThat(java.nio.file.Files.readString(Path.of("..", "deploy", "grafana", "provisioning", "dashboards",
        "storystream.yml"))).contains("/var/lib/grafana/dashboards");
    assertThat(services.path("grafana").path("volumes").toString()).contains("deploy/grafana/provisioning",
        "deploy/grafana/dashboards");
  }

  /** Compose with the secrets an operator must supply (the file refuses to resolve without them). */
  private static Process compose(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("docker-compose", "-f", FILE.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(args.length > 1);
    builder.environment().putAll(SECRETS);
    builder.environment().remove("DATASTORYBOT_URL");
    return builder.start();
  }

}
