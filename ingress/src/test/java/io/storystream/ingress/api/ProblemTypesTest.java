package io.storystream.ingress.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.ingress.billing.BillingOperatorRelay;
import io.storystream.ingress.http.Route;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The catalogue of problem types the document publishes is exactly the set the code answers with: every slug a
 * handler, the gate or common's problem writer builds (with its status) is listed, and so is every billing problem
 * the operator's billing relay declares it passes on (billing builds it, with that status); nothing listed is unused.
 */
class ProblemTypesTest {
  /** {@code Problem.of(404, "not-found", …)} and {@code new ProblemException(404, "not-found", …)}. */
  private static final Pattern WITH_STATUS =
      Pattern.compile("(?:Problem\\.of|ProblemException)\\(\\s*(\\d{3}),\\s*\"([a-z0-9-]+)\"");
  /** The helpers that build a problem of one status from a slug: CsvInspector's invalid (422), EmbedTokens' refused (401). */
  private static final Map<String, Pattern> HELPERS = Map.of(
      "CsvInspector.java", Pattern.compile("\\binvalid\\(\\s*\"([a-z0-9-]+)\",\\s*\""),
      "EmbedTokens.java", Pattern.compile("\\brefused\\(\\s*\"([a-z0-9-]+)\","));
  private static final Map<String, Integer> HELPER_STATUS = Map.of("CsvInspector.java", 422, "EmbedTokens.java", 401);

  @Test
  void theCatalogueListsExactlyTheProblemTypesTheCodeAnswersWith() throws IOException {
    Map<String, Integer> answered = answeredIn(Path.of("src/main/java"), Path.of("../common/src/main/java"));
    Map<String, Integer> relayed = new TreeMap<>();
    for (Route route : new BillingOperatorRelay("http://127.0.0.1:9", "token").routes()) {
      route.responses().forEach((status, reply) -> reply.problems().stream().filter(s -> !answered.containsKey(s))
          .forEach(slug -> relayed.put(slug, status)));
    }
    assertThat(relayed).as("the price-book problems billing answers").containsKeys("invalid-price-book",
        "price-book-version-exists", "price-book-not-found");
    assertThat(answeredIn(Path.of("../billing-aggregator/src/main/java"))).containsAllEntriesOf(relayed);
    Map<String, Integer> catalogued = ProblemTypes.ALL.stream()
        .collect(Collectors.toMap(ProblemTypes.Type::slug, ProblemTypes.Type::status, (a, b) -> a, TreeMap::new));
    assertThat(answered).as("found in the sources").hasSizeGreaterThan(50);
    Map<String, Integer> expected = new TreeMap<>(answered);
    expected.putAll(relayed);
    assertThat(catalogued).isEqualTo(expected);
  }

  /** Every slug built in these source trees, with its status. */
  private static Map<String, Integer> answeredIn(Path... roots) throws IOException {
    Map<String, Integer> answered = new TreeMap<>();
    for (Path root : roots) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          String source = Files.readString(file);
          Matcher m = WITH_STATUS.matcher(source);
          while (m.find()) {
            answered.put(m.group(2), Integer.parseInt(m.group(1)));
          }
          Pattern helper = HELPERS.get(file.getFileName().toString());
          if (helper != null) {
            Matcher h = helper.matcher(source);
            while (h.find()) {
              answered.put(h.group(1), HELPER_STATUS.get(file.getFileName().toString()));
            }
          }
        }
      }
    }
    return answered;
  }

  @Test
  void slugsAreUniqueAndTypeUrisStable() {
    assertThat(ProblemTypes.ALL.stream().map(ProblemTypes.Type::slug).distinct().count())
        .isEqualTo(ProblemTypes.ALL.size());
    assertThat(ProblemTypes.ALL.get(0).uri()).startsWith("https://storystream.dev/problems/");
  }
}
