package io.storystream.ingress.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.storystream.common.http.ProblemException;
import io.storystream.testsupport.GeneratedInput;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
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

  @Test
  void quotedNamesEscapedQuotesAndCrlfAreRead() throws Exception {
    CsvInspector.Shape shape = inspect("\"a \"\"x\"\"\" ,b\r\n1,\"2\r\n3\"\r\n\r\n4,5".getBytes(StandardCharsets.UTF_8));
    assertThat(shape.columnNames()).containsExactly("a \"x\"", "b");
    assertThat(shape.rows()).isEqualTo(2);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "'a,b\n\"1\"x,2\n'|malformed-csv|line 2",
      "'a,b\n1,2\n3\n'|ragged-rows|line 3",
      "'a,b\n\"1\n2\",3\n4,5,6\n'|ragged-rows|line 4",
      "'a,b,c,d,e\n1,2,3,4,5\n'|too-many-columns|more than 4 columns",
      "'abcdefghi\n1\n'|invalid-header|longer than 8 characters",
      "'a\n0123456789abcdefg\n'|field-too-long|line 2",
      "'a\n\"0123456789abcdefg\"\n'|field-too-long|line 2",
      "'a,b,c,d\n0123456789,0123456789,0123456789\n'|line-too-long|line 2"})
  void eachLimitIsCheckedAtTheCharacterThatCrossesIt(String csv, String type, String detail) {
    CsvInspector.Limits small = new CsvInspector.Limits(4, 8, 16, 30);
    assertThatThrownBy(() -> CsvInspector.inspect(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), small))
        .isInstanceOfSatisfying(ProblemException.class, e -> {
          assertThat(e.problem().type()).endsWith("/" + type);
          assertThat(e.problem().detail()).contains(detail);
        });
  }

  /**
   * Each hostile shape of 48 MB is refused after reading a bounded prefix of it: the check never needs the whole
   * line, so memory does not depend on the file's size (the stream below is generated, nothing holds the file).
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''|,|''|too-many-columns",
      "'a,b\n'|c|''|field-too-long",
      "'a,b\n1'|,|''|ragged-rows",
      "'a\n\"'|x|''|field-too-long",
      "'a\n'|x|''|field-too-long"})
  void aHugeFileOfOneShapeIsRefusedAfterABoundedPrefix(String head, char fill, String tail, String type) {
    long size = 48L * 1024 * 1024;
    GeneratedInput in = new GeneratedInput(head, String.valueOf(fill), tail, size);
    assertThatThrownBy(() -> CsvInspector.inspect(in))
        .isInstanceOfSatisfying(ProblemException.class, e -> assertThat(e.problem().type()).endsWith("/" + type));
    // the field limit (64 Ki characters) plus the reader's buffers; far from the 48 MB sent
    assertThat(in.bytesRead()).isLessThan(256 * 1024);
  }

  @Test
  void aWideButLegalRowIsRefusedAtTheRecordLimit() {
    // 1,000 columns of 2,000 characters each: every field and the column count are legal, the record is not
    StringBuilder head = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      head.append(i == 0 ? "" : ",").append('c').append(i);
    }
    String row = ("x".repeat(2000) + ",").repeat(999) + "x".repeat(2000) + "\n";
    assertThatThrownBy(() -> inspect((head + "\n" + row).getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(ProblemException.class, e -> assertThat(e.problem().type()).endsWith("/line-too-long"));
  }

  /** The hand-written scan reads what commons-csv (RFC 4180, empty lines ignored) reads: same shape or a refusal. */
  @Test
  void agreesWithCommonsCsvOnRandomSmallFiles() throws Exception {
    Random random = new Random(20261202);
    char[] alphabet = {'a', 'b', 'c', 'd', 'e', ',', ',', '"', '\n', '\r', ' '};
    int accepted = 0;
    for (int round = 0; round < 20_000; round++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(24);
      for (int i = 0; i < length; i++) {
        text.append(alphabet[random.nextInt(alphabet.length)]);
      }
      String csv = text.toString();
      String expected = commonsShape(csv);
      String actual;
      try {
        CsvInspector.Shape shape = inspect(csv.getBytes(StandardCharsets.UTF_8));
        actual = shape.rows() + "x" + shape.columns() + " " + shape.columnNames();
        accepted++;
      } catch (ProblemException e) {
        actual = "refused";
      }
      assertThat(actual).as("shape of %s", csv.replace("\n", "\\n").replace("\r", "\\r")).isEqualTo(expected);
    }
    assertThat(accepted).as("files both accept, so shapes are compared too").isGreaterThan(500);
  }

  /** What the previous, record-building inspector (commons-csv) made of a file. */
  private static String commonsShape(String csv) {
    try (var parser = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get().parse(new StringReader(csv))) {
      List<CSVRecord> records = parser.getRecords();
      if (records.isEmpty()) {
        return "refused";
      }
      List<String> header = new ArrayList<>(records.get(0).toList());
      if (header.stream().anyMatch(String::isBlank) || header.stream().map(String::strip).distinct().count() != header.size()) {
        return "refused";
      }
      for (CSVRecord r : records.subList(1, records.size())) {
        if (r.size() != header.size()) {
          return "refused";
        }
      }
      return records.size() == 1 ? "refused" : (records.size() - 1) + "x" + header.size() + " " + header;
    } catch (Exception e) {
      return "refused";
    }
  }
}
