package io.storystream.processor.admission;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CacheKeysTest {
  private static final String SHA = "ab".repeat(32);

  @Test
  void promptsAreTrimmedCollapsedAndLowerCased() {
    assertThat(CacheKeys.normalize("  Focus\ton \n\n  the TREND  ")).isEqualTo("focus on the trend");
    assertThat(CacheKeys.of("acme", SHA, "  Focus\ton   the TREND ", "Short")).isEqualTo(
        CacheKeys.of("acme", SHA, "focus on the trend", "short"));
  }

  @Test
  void aMissingPromptCountsAsEmpty() {
    assertThat(CacheKeys.of("acme", SHA, null, null)).isEqualTo(CacheKeys.of("acme", SHA, "", "  "));
  }

  @Test
  void tenantContentAndEachPromptChangeTheKey() {
    String key = CacheKeys.of("acme", SHA, "trend", "short");
    assertThat(key).hasSize(64).matches("[0-9a-f]+");
    assertThat(CacheKeys.of("globex", SHA, "trend", "short")).isNotEqualTo(key);
    assertThat(CacheKeys.of("acme", "cd".repeat(32), "trend", "short")).isNotEqualTo(key);
    assertThat(CacheKeys.of("acme", SHA, "trends", "short")).isNotEqualTo(key);
    assertThat(CacheKeys.of("acme", SHA, "trend", "long")).isNotEqualTo(key);
    // the steering and refinement prompts are separate fields, not one concatenated string
    assertThat(CacheKeys.of("acme", SHA, "trend short", null)).isNotEqualTo(CacheKeys.of("acme", SHA, "trend", "short"));
  }

  @Test
  void theIndexKeyIsTenantPrefixed() {
    assertThat(CacheKeys.indexKey("acme", "f00")).isEqualTo("acme:f00");
  }
}
