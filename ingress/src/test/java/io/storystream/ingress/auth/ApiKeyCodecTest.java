package io.storystream.ingress.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.common.Ids;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ApiKeyCodecTest {
  private final ApiKeyCodec codec = new ApiKeyCodec("pepper-of-sixteen-or-more".getBytes(StandardCharsets.UTF_8));

  @Test
  void anIssuedKeyParsesBackAndMatchesOnlyItsOwnHash() {
    ApiKeyCodec.Issued issued = codec.issue();
    assertThat(issued.apiKey()).startsWith("ssk_" + issued.keyId() + "_");
    assertThat(Ids.looksLike("key", issued.keyId())).isTrue();
    ApiKeyCodec.Presented presented = ApiKeyCodec.parse(issued.apiKey()).orElseThrow();
    assertThat(presented.keyId()).isEqualTo(issued.keyId());
    assertThat(presented.secret()).hasSize(43); // 256 bits in base64url
    assertThat(codec.matches(presented.secret(), issued.secretHash())).isTrue();
    assertThat(codec.matches(presented.secret(), codec.issue().secretHash())).isFalse();
    assertThat(issued.toString()).doesNotContain(presented.secret());
  }

  @Test
  void theHashDependsOnThePepper() {
    ApiKeyCodec.Issued issued = codec.issue();
    ApiKeyCodec other = new ApiKeyCodec("another-pepper-of-16+".getBytes(StandardCharsets.UTF_8));
    String secret = ApiKeyCodec.parse(issued.apiKey()).orElseThrow().secret();
    assertThat(other.matches(secret, issued.secretHash())).isFalse();
  }

  @Test
  void malformedKeysDoNotParse() {
    String good = codec.issue().apiKey();
    assertThat(ApiKeyCodec.parse(null)).isEmpty();
    assertThat(ApiKeyCodec.parse("")).isEmpty();
    assertThat(ApiKeyCodec.parse(good.substring(1))).isEmpty();
    assertThat(ApiKeyCodec.parse("xsk_" + good.substring(4))).isEmpty();
    assertThat(ApiKeyCodec.parse(good + "x")).isEmpty();
    assertThat(ApiKeyCodec.parse(good.replace("key_", "job_"))).isEmpty();
  }
}
