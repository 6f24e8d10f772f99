package io.storystream.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class IngressCommandTest {
  @TempDir Path data;

  @Test
  void flagsHaveTheDesignsDefaultsAndSecretsAreGeneratedOnceIntoTheDataFolder() throws Exception {
    IngressCommand command = new IngressCommand();
    new CommandLine(command).parseArgs("--data-dir", data.toString());
    // the documented default ports (README.md) unless the environment overrides them
    if (System.getenv("STORYSTREAM_INGRESS_PORT") == null) {
      assertThat(command.ingressPort).isEqualTo(8080);
    }
    if (System.getenv("STORYSTREAM_ADMIN_PORT") == null) {
      assertThat(command.adminPort).isEqualTo(8082);
    }
    if (System.getenv("STORYSTREAM_BILLING_URL") == null) {
      assertThat(command.billingUrl).isEqualTo("http://127.0.0.1:8083");
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("STORYSTREAM_OPERATOR_TOKEN") == null
        && System.getenv("STORYSTREAM_PEPPER") == null, "secrets come from the environment here");
    IngressConfig first = command.config();
    assertThat(Files.readString(data.resolve("operator-token")).trim()).isEqualTo(first.operatorToken());
    assertThat(first.operatorToken()).startsWith("sso_");
    assertThat(first.pepper()).hasSizeGreaterThanOrEqualTo(32);
    IngressConfig second = command.config();
    assertThat(second.operatorToken()).isEqualTo(first.operatorToken());
    assertThat(second.pepper()).isEqualTo(first.pepper());
    assertThat(first.toString()).doesNotContain(first.operatorToken());
  }

  @Test
  void flagsOverrideDefaults() throws Exception {
    IngressCommand command = new IngressCommand();
    new CommandLine(command).parseArgs("--data-dir", data.toString(), "--ingress-port", "9180", "--admin-port", "9182",
        "--operator-token", "sso_given", "--pepper", "0123456789abcdef0123456789abcdef", "--billing-url",
        "http://billing:8083", "--advertised-host", "ingress-1");
    IngressConfig config = command.config();
    assertThat(config.ingressPort()).isEqualTo(9180);
    assertThat(config.adminPort()).isEqualTo(9182);
    assertThat(config.operatorToken()).isEqualTo("sso_given");
    assertThat(config.pepper()).hasSize(16); // hex decoded
    assertThat(config.billingUrl()).isEqualTo("http://billing:8083");
    assertThat(config.advertisedHost()).isEqualTo("ingress-1");
    assertThat(Files.exists(data.resolve("operator-token"))).isFalse();
  }
}
