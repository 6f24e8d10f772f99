package io.storystream.ingress.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.testsupport.TestTools;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's markdown reader and DOM builder (src/main/resources/dashboard/markdown.mjs) under node's test
 * runner: src/test/js/markdown.test.mjs checks the tree it reads and that markup in a narrative stays text.
 */
class MarkdownRendererTest {
  @Test
  void theMarkdownReaderPassesItsScriptTests() throws Exception {
    TestTools.require("node");
    Process node = new ProcessBuilder("node", "--test", "src/test/js/markdown.test.mjs").redirectErrorStream(true).start();
    String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(node.exitValue()).as(output).isZero();
    assertThat(output).contains("# pass 5", "# fail 0");
  }
}
