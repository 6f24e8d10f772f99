package io.storystream.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.storystream.common.config.RegistryUrls;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientPropertiesTest {
  @TempDir Path dir;

  @Test
  void aFileAndStorystreamKafkaVariablesBecomeClientPropertiesOfEveryClient() throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nssl.truststore.location=/t.p12\n");
    Map<String, String> props = ClientProperties.load(file, Map.of(
        "STORYSTREAM_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
        "STORYSTREAM_KAFKA_SASL_JAAS_CONFIG", "ScramLoginModule required username=\"u\" password=\"p4ss\";",
        "STORYSTREAM_KAFKA_PORT", "9092", "STORYSTREAM_KAFKA_CONTROLLER_PORT", "9093",
        "STORYSTREAM_KAFKA_PROPERTIES_FILE", file.toString(), "STORYSTREAM_KAFKA_CONNECT_TIMEOUT", "PT5S",
        "STORYSTREAM_BOOTSTRAP_SERVERS", "x:9092", "PATH", "/bin"));
    assertThat(props).containsExactlyInAnyOrderEntriesOf(Map.of(
        "security.protocol", "SASL_SSL",
        "sasl.mechanism", "SCRAM-SHA-512", // the variable wins over the file
        "ssl.truststore.location", "/t.p12",
        "sasl.jaas.config", "ScramLoginModule required username=\"u\" password=\"p4ss\";"));

    KafkaSettings kafka = new KafkaSettings("b:9092", "http://r:8081", 3, (short) 1, props);
    for (var client : java.util.List.of(kafka.producer("p"), kafka.consumer("g"), kafka.admin(),
        kafka.streams("app", dir))) {
      assertThat(client).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
          .containsKey("sasl.jaas.config");
    }
    assertThat(kafka.toString()).doesNotContain("p4ss").contains("sasl.jaas.config=[hidden]", "SASL_SSL");
    assertThat(new KafkaSettings("b:9092", "http://r:8081", 3, (short) 1).admin()).doesNotContainKey("security.protocol");
  }

  @Test
  void registryCredentialsTravelAsBasicAuthenticationAndNeverInMessages() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/subjects", exchange -> {
      seen.set(exchange.getRequestHeaders().getFirst("Authorization"));
      byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      String url = RegistryUrls.withBasicAuth("http://127.0.0.1:" + server.getAddress().getPort(), "svc:p@ss:w/rd");
      HttpSchemaRegistryClient client = new HttpSchemaRegistryClient(url);
      assertThat(client.subjects()).isEmpty();
      assertThat(seen.get()).isEqualTo("Basic " + Base64.getEncoder().encodeToString(
          "svc:p@ss:w/rd".getBytes(StandardCharsets.UTF_8)));
      assertThat(client.toString()).doesNotContain("p@ss").doesNotContain("svc");
      assertThat(new KafkaSettings("b", url, 1, (short) 1).toString()).doesNotContain("ss%3Aw");
    } finally {
      server.stop(0);
    }
    assertThat(RegistryUrls.withBasicAuth("http://r:8081", null)).isEqualTo("http://r:8081");
  }
}
