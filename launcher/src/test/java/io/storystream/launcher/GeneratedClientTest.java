package io.storystream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.testsupport.TestTools;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client generated from the embedded default's own {@code /openapi.json} by tools that share nothing with
 * storystream (openapi-typescript for the types, openapi-fetch to call the API) compiles, with TypeScript in strict
 * mode, a quick start written against it (src/test/resources/generated-client/quickstart.ts), which then runs: a
 * tenant provisioned through the operator API, the price book in force read (its typed plans and micro-unit prices),
 * the sample CSV uploaded, an analysis submitted and long-polled until
 * completed, its result read, and an unknown job answered with a typed problem. A document whose bodies were untyped,
 * or whose field names or types differed from what the handlers write, fails the compile or the run.
 */
class GeneratedClientTest {
  private static final Path SOURCES = Path.of("src", "test", "resources", "generated-client");
  private static final Path TOOLS = Path.of("target", "generated-client-tools").toAbsolutePath();

  @TempDir Path home;

  @Test
  void aClientGeneratedFromTheDocumentCompilesAndCompletesTheQuickStart() throws Exception {
    TestTools.require("node", "npm");
    Path work = prepareTools();

    FreePortSystem ports = FreePortSystem.pick();
    int tenantPort = ports.tenant();
    int adminPort = ports.operator();
    List<String> args = ports.args(home);
    try (ChildProcess system = ChildProcess.start("storystream", args, Map.of())) {
      system.awaitLine("Press Ctrl-C", Duration.ofSeconds(180));
      String tenantUrl = "http://127.0.0.1:" + tenantPort;

      HttpResponse<byte[]> document = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(tenantUrl + "/openapi.json")).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(document.statusCode()).isEqualTo(200);
      Files.write(work.resolve("openapi.json"), document.body());

      run(work, Duration.ofMinutes(2), Map.of(), "node", TOOLS.resolve("node_modules/openapi-typescript/bin/cli.js").toString(),
          "openapi.json", "--output", "api.d.ts");
      assertThat(Files.readString(work.resolve("api.d.ts")))
          .as("the generated types name the body records").contains("SubmitAnalysis", "AnalysisResult", "Provisioned",
              "PriceBookDocument", "NotFoundProblem");
      run(work, Duration.ofMinutes(2), Map.of(), "node", TOOLS.resolve("node_modules/typescript/bin/tsc").toString(),
          "-p", "tsconfig.json");

      // the operator token goes in the environment, never on a command line that is printed
      Map<String, String> env = Map.of("OPERATOR_TOKEN", Files.readString(home.resolve("data/operator-token")).trim());
      String out = run(work, Duration.ofMinutes(4), env, "node", "out/quickstart.js", tenantUrl,
          "http://127.0.0.1:" + adminPort, home.resolve("data/samples/saas_mrr.csv").toString(), "generated");
      assertThat(out).contains("tenant generated on plan pro", "price book v1 (USD from 2026-01)",
          "job_", " completed", "stories",
          "unknown job: 404 https://storystream.dev/problems/not-found", "QUICKSTART OK");
    }
  }

  /**
   * The generator, the HTTP client and the compiler, pinned (package.json), installed once per build directory; the
   * quick start is compiled there, next to them, from fresh copies (the generated api.d.ts and out/ are rewritten).
   */
  private static Path prepareTools() throws Exception {
    Files.createDirectories(TOOLS);
    for (String name : List.of("quickstart.ts", "tsconfig.json", "package.json")) {
      Files.copy(SOURCES.resolve(name), TOOLS.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    for (String generated : List.of("openapi.json", "api.d.ts", "out/quickstart.js")) {
      Files.deleteIfExists(TOOLS.resolve(generated));
    }
    if (!Files.exists(TOOLS.resolve("node_modules/openapi-typescript/bin/cli.js"))
        || !Files.exists(TOOLS.resolve("node_modules/typescript/bin/tsc"))) {
      run(TOOLS, Duration.ofMinutes(5), Map.of(), "npm", "install", "--no-audit", "--no-fund", "--loglevel=error");
    }
    return TOOLS;
  }

  private static String run(Path dir, Duration limit, Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(dir.toFile())
        .redirectErrorStream(true);
    builder.environment().putAll(env);
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    boolean finished = p.waitFor(limit.toSeconds(), TimeUnit.SECONDS);
    if (!finished) {
      p.destroyForcibly();
    }
    System.out.println("$ " + String.join(" ", command) + "\n" + out);
    assertThat(finished).as("%s finishes", command[command.length > 1 ? 1 : 0]).isTrue();
    assertThat(p.exitValue()).as("%s:%n%s", String.join(" ", command), out).isZero();
    return out;
  }
}
