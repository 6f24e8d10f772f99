package io.storystream.datastorybot.standin.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CsvTableTest {

  private static CsvTable parse(String text) throws NotCsvException {
    return CsvTable.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void bomIsStrippedFromTheFirstHeader() throws Exception {
    CsvTable table = parse("\uFEFFdate,amount\n2025-01-01,5\n");
    assertThat(table.headers()).containsExactly("date", "amount");
  }

  @Test
  void semicolonAndTabDelimitersAreSniffed() throws Exception {
    assertThat(parse("a;b;c\n1;2,5;3\n4;5;6\n").delimiter()).isEqualTo(';');
    assertThat(parse("a\tb\n1,5\t2\n3\t4\n").delimiter()).isEqualTo('\t');
    assertThat(parse("a|b\n1|2\n").delimiter()).isEqualTo('|');
    assertThat(parse("a,b\n\"x;y\",2\n").delimiter()).isEqualTo(',');
  }

  @Test
  void quotedFieldsKeepDelimitersQuotesAndNewlines() throws Exception {
    CsvTable table = parse("id,comment,n\n1,\"fast, \"\"friendly\"\"\nand kind\",3\n2,plain,4\r\n");
    assertThat(table.rowCount()).isEqualTo(2);
    assertThat(table.rows().get(0)).containsExactly("1", "fast, \"friendly\"\nand kind", "3");
  }

  @Test
  void trailingEmptyColumnsAreDroppedAndBlankOrDuplicateHeadersNamed() throws Exception {
    CsvTable table = parse("a,,a,\n1,2,3,\n4,5,6,\n");
    assertThat(table.headers()).containsExactly("a", "column_2", "a_2");
    assertThat(table.rows().get(1)).containsExactly("4", "5", "6");
  }

  @Test
  void shortRowsArePaddedWhenRare() throws Exception {
    StringBuilder text = new StringBuilder("a,b,c\n");
    for (int i = 0; i < 30; i++) {
      text.append(i).append(",x,y\n");
    }
    text.append("31,x\n");
    CsvTable table = parse(text.toString());
    assertThat(table.rows().get(30)).containsExactly("31", "x", "");
  }

  @Test
  void windows1252AndUtf16AreDecoded() throws Exception {
    CsvTable latin = CsvTable.parse("city,n\nZürich,1\n".getBytes(Charset.forName("windows-1252")));
    assertThat(latin.rows().get(0)[0]).isEqualTo("Zürich");
    CsvTable utf16 = CsvTable.parse("\uFEFFcity,n\nZürich,1\n".getBytes(StandardCharsets.UTF_16));
    assertThat(utf16.rows().get(0)[0]).isEqualTo("Zürich");
  }

  @Test
  void whatIsNotCsvIsRejected() {
    for (byte[] bad : List.of(new byte[0], "   \n".getBytes(), "{\"a\": 1}".getBytes(), "<html></html>".getBytes(),
        new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13}, "only,a,header\n".getBytes(),
        "a,b\n\"unterminated,1\n".getBytes())) {
      assertThatThrownBy(() -> CsvTable.parse(bad)).isInstanceOf(NotCsvException.class);
    }
  }

  @Test
  void raggedFilesAreRejected() {
    StringBuilder text = new StringBuilder("a,b,c\n");
    for (int i = 0; i < 20; i++) {
      text.append(i % 2 == 0 ? "1,2,3\n" : "1,2,3,4,5\n");
    }
    assertThatThrownBy(() -> parse(text.toString())).isInstanceOf(NotCsvException.class)
        .hasMessageContaining("consistent number of fields");
  }
}
