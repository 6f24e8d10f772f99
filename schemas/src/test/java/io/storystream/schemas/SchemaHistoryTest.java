package io.storystream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.storystream.schemas.topics.Topic;
import io.storystream.schemas.topics.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every topic's value schema must read everything ever written with its recorded history (BACKWARD), and the
 * newest recorded version must be today's schema — so a schema change cannot land without its history entry.
 */
class SchemaHistoryTest {
  private static final Path HISTORY = Paths.get("history");

  static Stream<Topic<?>> topics() {
    return Topics.all().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("topics")
  void currentSchemaReadsEveryRecordedVersion(Topic<?> topic) throws IOException {
    Schema current = SpecificData.get().getSchema(topic.valueType());
    List<Path> versions = history(current);
    assertThat(versions).as("history of %s", current.getName()).isNotEmpty();
    for (Path version : versions) {
      Schema old = new Schema.Parser().parse(version.toFile());
      var result = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
      assertThat(result.getType())
          .as("%s cannot read data written with %s: %s", current.getName(), version, result.getDescription())
          .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("topics")
  void newestRecordedVersionIsTheCurrentSchema(Topic<?> topic) throws IOException {
    Schema current = SpecificData.get().getSchema(topic.valueType());
    List<Path> versions = history(current);
    Schema newest = new Schema.Parser().parse(versions.get(versions.size() - 1).toFile());
    assertThat(newest)
        .as("schema %s changed: add history/%s/v%d.avsc with the new schema", current.getName(), current.getName(),
            versions.size() + 1)
        .isEqualTo(current);
  }

  private static List<Path> history(Schema schema) throws IOException {
    Path dir = HISTORY.resolve(schema.getName());
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().matches("v\\d+\\.avsc"))
          .sorted(Comparator.comparingInt(f -> Integer.parseInt(f.getFileName().toString().replaceAll("\\D", ""))))
          .toList();
    }
  }
}
