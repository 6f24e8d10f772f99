package io.storystream.embedded.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.storystream.embedded.EmbeddedKafka;
import io.storystream.schemas.UsageEvent;
import io.storystream.schemas.UsageType;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryException;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.testsupport.TestTools;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The registry endpoint as Confluent clients see it: the REST calls, the error bodies, and a client nobody here wrote. */
class SchemaRegistryServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir static Path data;
  private static EmbeddedKafka kafka;
  private static SchemaRegistryServer registry;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.forTests(data.resolve("kafka")).start();
    registry = new SchemaRegistryServer("127.0.0.1", 0, kafka.bootstrapServers(), (short) 1).start();
  }

  @AfterAll
  static void stop() {
    registry.close();
    kafka.close();
  }

  @Test
  void registersOnceListsAndServesById() {
    HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
    Schema v1 = SchemaBuilder.record("Thing").namespace("t").fields().requiredString("name").endRecord();
    int id = client.register("things-value", v1);
    assertThat(new HttpSchemaRegistryClient(registry.url()).register("things-value", v1)).isEqualTo(id);
    assertThat(client.subjects()).contains("things-value");
    assertThat(client.versions("things-value")).containsExactly(1);
    assertThat(new HttpSchemaRegistryClient(registry.url()).schemaById(id)).isEqualTo(v1);
  }

  @Test
  void backwardCompatibleChangeIsAcceptedAndIncompatibleOneRefusedWith409() {
    HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
    Schema v1 = SchemaBuilder.record("Evolving").namespace("t").fields().requiredString("name").endRecord();
    Schema v2 = SchemaBuilder.record("Evolving").namespace("t").fields().requiredString("name")
        .name("size").type().longType().longDefault(0).endRecord();
    Schema broken = SchemaBuilder.record("Evolving").namespace("t").fields().requiredString("name")
        .requiredLong("weight").endRecord();
    client.register("evolving-value", v1);
    client.register("evolving-value", v2);
    assertThat(client.versions("evolving-value")).containsExactly(1, 2);
    assertThatThrownBy(() -> client.register("evolving-value", broken))
        .isInstanceOf(SchemaRegistryException.class)
        .satisfies(e -> assertThat(((SchemaRegistryException) e).status()).isEqualTo(409));
    client.setCompatibility("evolving-value", "NONE");
    assertThat(client.compatibility("evolving-value")).isEqualTo("NONE");
    client.register("evolving-value", broken);
    assertThat(client.compatibility(null)).isEqualTo("BACKWARD");
  }

  /** Malformed requests get Confluent's status codes and {error_code, message} bodies. */
  @ParameterizedTest(name = "{0} {1} → {3}/{4}")
  @CsvSource(delimiter = '|', value = {
      "GET|/schemas/ids/99999||404|40403",
      "GET|/schemas/ids/abc||404|40403",
      "GET|/subjects/nope/versions||404|40401",
      "GET|/subjects/nope/versions/1||404|40401",
      "GET|/subjects/tenants-probe/versions/0||422|42202",
      "GET|/subjects/tenants-probe/versions/7||404|40402",
      "POST|/subjects/x-value/versions|{not json|400|400",
      "POST|/subjects/x-value/versions|{\"schema\":\"{\\\"type\\\":\\\"nope\\\"}\"}|422|42201",
      "POST|/subjects/x-value/versions|{\"schema\":\"{}\",\"schemaType\":\"PROTOBUF\"}|422|42201",
      "POST|/subjects/x-value/versions|{\"other\":1}|422|42201",
      "PUT|/config|{\"compatibility\":\"SOMETIMES\"}|422|42203",
      "GET|/config/never-configured||404|40408",
      "POST|/subjects/nope|{\"schema\":\"\\\"string\\\"\"}|404|40401",
      "DELETE|/schemas/ids/1||405|405",
  })
  void malformedRequestsGetConfluentErrors(String method, String path, String body, int status, int errorCode)
      throws Exception {
    new HttpSchemaRegistryClient(registry.url()).register("tenants-probe",
        SchemaBuilder.record("Probe").fields().requiredString("a").endRecord());
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(registry.url() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(status);
    JsonNode error = JSON.readTree(response.body());
    assertThat(error.path("error_code").asInt()).isEqualTo(errorCode);
    assertThat(error.path("message").asText()).isNotBlank();
  }

  /**
   * Interoperability with a client nobody here wrote: the npm package {@code @kafkajs/confluent-schema-registry}
   * decodes what our serializer wrote, and our deserializer decodes what it wrote.
   */
  @Test
  void anIndependentClientReadsOurRecordsAndWeReadItsRecords() throws Exception {
    TestTools.require("node", "npm");
    Path workDir = Paths.get("target", "interop").toAbsolutePath();
    Files.createDirectories(workDir);
    Files.copy(Paths.get("src/test/resources/interop/interop.js"), workDir.resolve("interop.js"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    if (!Files.isDirectory(workDir.resolve("node_modules/@kafkajs/confluent-schema-registry"))) {
      run(workDir, "npm", "install", "--no-audit", "--no-fund", "--silent", "@kafkajs/confluent-schema-registry@4.1.0");
    }
    HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
    UsageEvent ours = UsageEvent.newBuilder().setEventId("job_1:analysis_complete").setTenantId("acme")
        .setType(UsageType.ANALYSIS_COMPLETE).setQuantity(1).setRows(1234).setBytes(0).setJobId("job_1")
        .setFileId(null).setPlan("pro").setOccurredAt(Instant.ofEpochMilli(1_763_900_000_000L)).build();
    byte[] bytes = new AvroSerializer<UsageEvent>(client, false).serialize("usage-events", ours);

    JsonNode decoded = JSON.readTree(run(workDir, "node", "interop.js", "decode", registry.url(),
        HexFormat.of().formatHex(bytes)));
    assertThat(decoded.path("eventId").asText()).isEqualTo("job_1:analysis_complete");
    assertThat(decoded.path("type").asText()).isEqualTo("ANALYSIS_COMPLETE");
    assertThat(decoded.path("rows").asLong()).isEqualTo(1234);
    assertThat(decoded.path("fileId").isNull()).isTrue();
    assertThat(decoded.path("occurredAt").asLong()).isEqualTo(1_763_900_000_000L);

    Path schemaFile = workDir.resolve("usage-event.avsc");
    Files.writeString(schemaFile, UsageEvent.getClassSchema().toString());
    Path payload = workDir.resolve("payload.json");
    Files.writeString(payload, "{\"eventId\":\"file_7:file_upload\",\"tenantId\":\"globex\",\"type\":\"FILE_UPLOAD\","
        + "\"quantity\":1,\"rows\":0,\"bytes\":2048,\"jobId\":null,\"fileId\":\"file_7\",\"plan\":null,"
        + "\"occurredAt\":1763900000123}");
    String hex = run(workDir, "node", "interop.js", "encode", registry.url(), "interop-value",
        schemaFile.toString(), payload.toString()).trim();
    UsageEvent theirs = new AvroDeserializer<>(new HttpSchemaRegistryClient(registry.url()), UsageEvent.class)
        .deserialize("interop", HexFormat.of().parseHex(hex));
    assertThat(theirs.getEventId()).isEqualTo("file_7:file_upload");
    assertThat(theirs.getType()).isEqualTo(UsageType.FILE_UPLOAD);
    assertThat(theirs.getBytes()).isEqualTo(2048);
    assertThat(theirs.getFileId()).isEqualTo("file_7");
    assertThat(theirs.getOccurredAt()).isEqualTo(Instant.ofEpochMilli(1_763_900_000_123L));
  }


  private static String run(Path dir, String... command) throws Exception {
    Process process = new ProcessBuilder(List.of(command)).directory(dir.toFile())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] out = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("%s finished", String.join(" ", command)).isTrue();
    assertThat(process.exitValue()).as("%s exit code", String.join(" ", command)).isZero();
    return new String(out, java.nio.charset.StandardCharsets.UTF_8);
  }
}
