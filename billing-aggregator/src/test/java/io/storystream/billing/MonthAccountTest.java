package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.YearMonth;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class MonthAccountTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Serde<MonthAccount> SERDE = MonthAccount.serde();

  private static final MonthAccount FRESH = MonthAccount.empty(new BillingMonth("acme", YearMonth.of(2026, 10)));
  private static final MonthAccount BUSY = new MonthAccount("globex", "2026-11", "pro", 1_790_000_000_000L,
      "job_\"7\"\\ \u00e9\u2603\n\t:ANALYSIS_COMPLETE", Long.MAX_VALUE, 2, 3, 4, 5, 6, 7, 8, 9, 10, Long.MIN_VALUE);
  private static final MonthAccount NEGATIVE = new MonthAccount("", "2026-12", "", -1, "", -1, -2, -3, -4, -5, -6,
      -7, -8, -9, -10, -11);

  @Test
  void everyAccountReadsBackEqualFromItsBinaryForm() {
    for (MonthAccount account : List.of(FRESH, BUSY, NEGATIVE)) {
      byte[] stored = SERDE.serializer().serialize("month-accounts", account);
      assertThat(stored[0]).as("the version byte").isEqualTo(MonthAccount.BINARY_V1);
      assertThat(SERDE.deserializer().deserialize("month-accounts", stored)).isEqualTo(account);
    }
  }

  @Test
  void anAccountAnEarlierVersionStoredAsJsonIsStillRead() throws Exception {
    for (MonthAccount account : List.of(FRESH, BUSY, NEGATIVE)) {
      byte[] json = MAPPER.writeValueAsBytes(account);
      assertThat(SERDE.deserializer().deserialize("month-accounts", json)).isEqualTo(account);
    }
  }

  @Test
  void storedBytesThatAreNotAnAccountAreRefusedNotMisread() {
    byte[] busy = SERDE.serializer().serialize("month-accounts", BUSY);
    byte[] unknownVersion = busy.clone();
    unknownVersion[0] = 2;
    byte[] trailing = Arrays.copyOf(busy, busy.length + 1);
    byte[] overlongString = {MonthAccount.BINARY_V1, 100, 'a'};
    for (byte[] bad : List.of(new byte[0], unknownVersion, Arrays.copyOf(busy, busy.length - 1),
        Arrays.copyOf(busy, 10), trailing, overlongString, "{\"tenantId\":".getBytes())) {
      assertThatThrownBy(() -> SERDE.deserializer().deserialize("month-accounts", bad))
          .as("%s", Arrays.toString(bad)).isInstanceOf(SerializationException.class);
    }
  }

  @Test
  void nullIsATombstoneBothWays() {
    assertThat(SERDE.serializer().serialize("month-accounts", null)).isNull();
    assertThat(SERDE.deserializer().deserialize("month-accounts", null)).isNull();
  }
}
