package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BillingCommandTest {
  @TempDir Path dir;

  @Test
  void runHasTheFixedDefaultPortAndTheSharedPlatformOptions() {
    CommandLine cli = BillingCommand.commandLine();
    CommandLine.ParseResult parsed = cli.parseArgs("run", "--bootstrap-servers", "broker:9092",
        "--billing-grace", "72h", "--billing-statement-interval", "500ms");
    BillingCommand.Run run = (BillingCommand.Run) parsed.subcommand().commandSpec().userObject();
    assertThat(run.port).isEqualTo(8083);
    assertThat(run.platform.bootstrapServers).isEqualTo("broker:9092");
    assertThat(run.grace).isEqualTo(Duration.ofHours(72));
    assertThat(run.interval).isEqualTo(Duration.ofMillis(500));
    assertThat(cli.getSubcommands()).containsKeys("run", "publish-price-book", "replay", "tail-statements");
  }

  @Test
  void anInvalidPriceBookIsRejectedWithEveryErrorBeforeAnythingIsPublished() throws Exception {
    Path file = dir.resolve("book.yaml");
    Files.writeString(file, """
        version: 3
        currency: USD
        effectiveFrom: 2026-12
        plans:
          starter: {baseFeeMicros: -1, includedAnalyses: 0, perAnalysisMicros: 1, perThousandRowsMicros: 0,
                    cacheHitMicros: 0, perUploadMicros: 0, perDownloadMicros: 0}
        """);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      // no broker at this address: the document is judged before any connection
      code = BillingCommand.commandLine().execute("publish-price-book", file.toString(),
          "--bootstrap-servers", "127.0.0.1:1");
    } finally {
      System.setErr(original);
    }
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("missing plan 'pro'", "missing plan 'enterprise'",
        "plans.starter.baseFeeMicros is negative (-1)");
  }
}
