package io.storystream.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import io.storystream.common.http.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The newcomer's first tenant: on first start, tenant {@code demo} on the pro plan and one key, created through the
 * operator API like any other tenant. The key's secret is shown once and kept in {@code <data>/demo-api-key}
 * (owner-only), so a restart can say where it is without ever printing it again. The sample CSVs go to
 * {@code <data>/samples}.
 */
final class DemoTenant {
  static final String TENANT_ID = "demo";
  static final String KEY_FILE = "demo-api-key";
  static final List<String> SAMPLES = List.of("saas_mrr.csv", "support_tickets.csv", "inventory_export.tsv");

  /** @param apiKey the secret when it was created just now, else null */
  record Outcome(Path keyFile, String apiKey, Path samples) {}

  private DemoTenant() {}

  static Outcome ensure(Path dataDir, String operatorApi, String operatorToken) throws IOException, InterruptedException {
    Path samples = writeSamples(dataDir.resolve("samples"));
    Path keyFile = dataDir.resolve(KEY_FILE);
    if (Files.exists(keyFile)) {
      return new Outcome(keyFile, null, samples);
    }
    HttpClient http = HttpClient.newHttpClient();
    call(http, operatorApi + "/admin/tenants", operatorToken,
        "{\"tenantId\":\"" + TENANT_ID + "\",\"name\":\"Demo tenant\",\"plan\":\"pro\"}");
    JsonNode key = call(http, operatorApi + "/admin/tenants/" + TENANT_ID + "/keys", operatorToken, "{}");
    String apiKey = key.path("apiKey").asText();
    Path tmp = Files.createTempFile(dataDir, KEY_FILE, ".tmp");
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // best effort on file systems without POSIX permissions
    }
    Files.writeString(tmp, apiKey + "\n");
    Files.move(tmp, keyFile);
    return new Outcome(keyFile, apiKey, samples);
  }

  private static JsonNode call(HttpClient http, String url, String token, String body)
      throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      throw new IOException("creating the demo tenant: POST " + url + " answered " + response.statusCode());
    }
    return JsonMapper.shared().readTree(response.body());
  }

  private static Path writeSamples(Path folder) throws IOException {
    Files.createDirectories(folder);
    for (String name : SAMPLES) {
      Path target = folder.resolve(name);
      if (!Files.exists(target)) {
        try (InputStream in = DemoTenant.class.getResourceAsStream("/samples/" + name)) {
          Files.copy(in, target);
        }
      }
    }
    return folder;
  }
}
