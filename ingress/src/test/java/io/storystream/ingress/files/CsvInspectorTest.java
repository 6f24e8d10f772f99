package io.storystream.ingress.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.common.http.ProblemException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CsvInspectorTest {
  private static CsvInspector.Shape inspect(byte[] bytes) throws Exception {
    return CsvInspector.inspect(new ByteArrayInputStream(bytes));
  }

  @Test
  void aValidFileHasItsShapeCounted() throws Exception {
    CsvInspector.Shape shape = inspect("\uFEFFmonth,\"revenue, EUR\"\n2026-01,\"1,200\"\n\n2026-02,\"multi\nline\"\n"
        .getBytes(StandardCharsets.UTF_8));
    assertThat(shape.rows()).isEqualTo(2);
    assertThat(shape.columns()).isEqualTo(2);
    assertThat(shape.columnNames()).containsExactly("month", "revenue, EUR");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''|empty-file",
      "'a,b\n'|no-data-rows",
      "'a,b\n1,2,3\n'|ragged-rows",
      "'a,,c\n1,2,3\n'|invalid-header",
      "'a,b\n\"1,2\n'|malformed-csv"})
  void badFilesGetTheirProblem(String csv, String type) {
    assertThatThrownBy(() -> inspect(csv.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(ProblemException.class, e -> assertThat(e.problem().type()).endsWith("/" + type));
  }

  @Test
  void binaryContentIsNotCsv() {
    assertThatThrownBy(() -> inspect(new byte[] {'a', ',', 'b', '\n', 1, 0, 2, '\n'}))
        .isInstanceOfSatisfying(ProblemException.class, e -> assertThat(e.problem().type()).endsWith("/not-csv"));
    assertThatThrownBy(() -> inspect(new byte[] {'a', '\n', (byte) 0xc3, (byte) 0x28, '\n'}))
        .isInstanceOfSatisfying(ProblemException.class, e -> assertThat(e.problem().type()).endsWith("/not-utf8"));
  }
}
