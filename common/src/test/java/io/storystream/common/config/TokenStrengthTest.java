package io.storystream.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class TokenStrengthTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void generatedSecretsOfAtLeast128RandomBitsPass() {
    for (int i = 0; i < 50; i++) {
      assertThat(TokenStrength.bits("sso_" + hex(32))).isGreaterThanOrEqualTo(256);
      assertThat(TokenStrength.bits(hex(16))).as("openssl rand -hex 16").isEqualTo(128);
      byte[] b = new byte[24];
      RANDOM.nextBytes(b);
      assertThat(TokenStrength.bits(Base64.getUrlEncoder().withoutPadding().encodeToString(b))).isGreaterThan(128);
    }
    assertThat(TokenStrength.requireStrong(" sso_" + hex(32) + "\n", "the token")).startsWith("sso_");
  }

  @Test
  void shortGuessableOrRepetitiveSecretsAreRefusedWithoutEchoingThem() {
    for (String weak : new String[] {"sso_test-operator-token", "changeme", "sso_compose_test", hex(15),
        "a".repeat(200), "ab".repeat(100), "sso_", "1234567890123456789012345678901234567"}) {
      assertThat(TokenStrength.bits(weak)).as(weak).isLessThan(TokenStrength.MINIMUM_BITS);
      assertThatThrownBy(() -> TokenStrength.requireStrong(weak, "the operator token"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("the operator token")
          .hasMessageContaining("openssl rand -hex 32")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(weak.length() > 4 ? weak : "\u0000"));
    }
    assertThatThrownBy(() -> TokenStrength.requireStrong(null, "the operator token")).hasMessageContaining("not set");
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
