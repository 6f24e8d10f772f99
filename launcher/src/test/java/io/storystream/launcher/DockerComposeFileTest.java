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
    for (String service : List.of("kafka-1", "kafka-2", "kafka-3", "schema-registry", "minio")) {
      assertThat(services.path(service).has("healthcheck")).as("%s has a health check", service).isTrue();
    }
    assertThat(List.of("kafka-1", "kafka-2", "kafka-3")).allSatisfy(broker ->
        assertThat(services.path(broker).path("environment").path("KAFKA_PROCESS_ROLES").asText())
            .isEqualTo("broker,controller"));
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

  @Test
  void refusesToStartWithoutTheOperatorSecrets() throws Exception {
    TestTools.require("docker-compose");
    ProcessBuilder builder = new ProcessBuilder("docker-compose", "-f", FILE.toString(), "config", "-q")
        .redirectErrorStream(true);
    builder.environment().remove("STORYSTREAM_OPERATOR_TOKEN");
    builder.environment().remove("STORYSTREAM_PEPPER");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isNotZero();
    assertThat(output).contains("STORYSTREAM_OPERATOR_TOKEN");
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

  /** Compose with the secrets an operator must supply (the file refuses to resolve without them). */
  private static Process compose(String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of("docker-compose", "-f", FILE.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(args.length > 1);
    builder.environment().put("STORYSTREAM_OPERATOR_TOKEN", "sso_compose_test");
    builder.environment().put("STORYSTREAM_PEPPER", "00112233445566778899aabbccddeeff");
    builder.environment().remove("DATASTORYBOT_URL");
    return builder.start();
  }



  @Test
  void theBillingSinkWritesIntoThePostgresService() throws Exception {
    TestTools.require("docker-compose");
    Process process = compose("config");
    byte[] resolved = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(resolved).path("services");
    assertThat(services.path("postgres").path("healthcheck").path("test").toString()).contains("pg_isready");
    assertThat(services.path("postgres").path("environment").path("POSTGRES_DB").asText()).isEqualTo("storystream");
    JsonNode sink = services.path("billing-sink");
    assertThat(sink.path("command").toString()).isEqualTo("[\"billing\",\"sink\"]");
    assertThat(sink.path("depends_on").path("postgres").path("condition").asText()).isEqualTo("service_healthy");
    assertThat(sink.path("environment").path("STORYSTREAM_POSTGRES_URL").asText())
        .isEqualTo("jdbc:postgresql://postgres:5432/storystream");
    assertThat(sink.path("environment").path("STORYSTREAM_POSTGRES_PASSWORD").asText())
        .isEqualTo(services.path("postgres").path("environment").path("POSTGRES_PASSWORD").asText());
  }
}
