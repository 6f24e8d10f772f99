package io.storystream.datastorybot.standin.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValuesAndProfilerTest {

  @Test
  void numbersWithThousandsSeparatorsCurrencyAndPercent() {
    assertThat(Values.number("1,234.50", Values.Decimal.DOT)).isEqualTo(1234.5);
    assertThat(Values.number("1.234,50", Values.Decimal.COMMA)).isEqualTo(1234.5);
    assertThat(Values.number("12,5", Values.Decimal.COMMA)).isEqualTo(12.5);
    assertThat(Values.number("$1,000,000", Values.Decimal.DOT)).isEqualTo(1_000_000);
    assertThat(Values.number("1 234", Values.Decimal.DOT)).isEqualTo(1234);
    assertThat(Values.number("-3.5%", Values.Decimal.DOT)).isEqualTo(-3.5);
    assertThat(Values.number("2e3", Values.Decimal.DOT)).isEqualTo(2000);
    assertThat(Values.number("01.03.2025", Values.Decimal.COMMA)).isNaN();
    assertThat(Values.number("12,34", Values.Decimal.DOT)).isNaN();
    assertThat(Values.number("abc", Values.Decimal.DOT)).isNaN();
    assertThat(Values.number("", Values.Decimal.DOT)).isNaN();
  }

  @Test
  void decimalConventionComesFromTheValues() {
    assertThat(Values.decimalOf(List.of("1,234.5", "12.25"), ',')).isEqualTo(Values.Decimal.DOT);
    assertThat(Values.decimalOf(List.of("1.234,5", "12,25"), ';')).isEqualTo(Values.Decimal.COMMA);
    assertThat(Values.decimalOf(List.of("21,5", "22,75"), '\t')).isEqualTo(Values.Decimal.COMMA);
    assertThat(Values.decimalOf(List.of("1,234"), ',')).isEqualTo(Values.Decimal.DOT);
    assertThat(Values.decimalOf(List.of("1,234"), ';')).isEqualTo(Values.Decimal.COMMA);
  }

  @Test
  void dateLayouts() {
    assertThat(Values.layoutOf("2025-03-01").pattern()).isEqualTo("yyyy-MM-dd");
    assertThat(Values.layoutOf("2025-03-01 10:15:00").hasTime()).isTrue();
    assertThat(Values.layoutOf("2025-03-01T10:15:00Z").hasTime()).isTrue();
    assertThat(Values.layoutOf("01.03.2025").pattern()).isEqualTo("dd.MM.yyyy");
    assertThat(Values.layoutOf("3/14/2025").pattern()).isEqualTo("MM/dd/yyyy");
    assertThat(Values.layoutOf("14/3/2025").pattern()).isEqualTo("dd/MM/yyyy");
    assertThat(Values.layoutOf("hello world")).isNull();
    assertThat(Values.LAYOUTS.get(0).epochSeconds("2025-01-02")).isEqualTo(1735776000L);
  }

  @Test
  void typesAndProfilesAreInferred() throws Exception {
    StringBuilder csv = new StringBuilder("when;shop;amount;comment;empty\n");
    String[] shops = {"A", "B", "C"};
    for (int i = 0; i < 30; i++) {
      csv.append(String.format("%02d.01.2025;%s;%s;%s;\n", i + 1, shops[i % 3],
          i == 4 ? "" : String.format("%d,%d", 1000 + i, i % 10), "note number " + i));
    }
    CsvTable table = CsvTable.parse(csv.toString().getBytes(StandardCharsets.UTF_8));
    List<Column> columns = Profiler.profile(table);
    assertThat(columns).extracting(Column::type).containsExactly(ColumnType.DATE, ColumnType.CATEGORICAL,
        ColumnType.NUMERIC, ColumnType.TEXT, ColumnType.EMPTY);

    Profile amount = columns.get(2).profile();
    assertThat(amount.count()).isEqualTo(30);
    assertThat(amount.nulls()).isEqualTo(1);
    assertThat(amount.distinct()).isEqualTo(29);
    assertThat(amount.min()).isEqualTo(1000.0);
    assertThat(amount.max()).isEqualTo(1029.9);
    double sum = 0;
    for (int i = 0; i < 30; i++) {
      sum += i == 4 ? 0 : 1000 + i + (i % 10) / 10.0;
    }
    assertThat(amount.mean()).isCloseTo(sum / 29, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(amount.median()).isEqualTo(1015.5);
    assertThat(columns.get(1).counts()).containsExactly(java.util.Map.entry("A", 10L), java.util.Map.entry("B", 10L),
        java.util.Map.entry("C", 10L));
    assertThat(columns.get(0).profile().min()).isEqualTo(1735689600.0);
  }
}
