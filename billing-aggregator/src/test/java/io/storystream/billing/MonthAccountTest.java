package io.storystream.billing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.YearMonth;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class MonthAccountTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void theStoredBytesAreWhatTheObjectMapperWritesAndReadBackEqual() throws Exception {
    MonthAccount fresh = MonthAccount.empty(new BillingMonth("acme", YearMonth.of(2026, 10)));
    MonthAccount busy = new MonthAccount("globex", "2026-11", "pro", 1_790_000_000_000L,
        "job_\"7\"\\ \u00e9\u2603\n\t:ANALYSIS_COMPLETE", Long.MAX_VALUE, 2, 3, 4, 5, 6, 7, 8, 9, 10, Long.MIN_VALUE);
    Serde<MonthAccount> serde = MonthAccount.serde();
    for (MonthAccount account : new MonthAccount[] {fresh, busy}) {
      byte[] stored = serde.serializer().serialize("month-accounts", account);
      assertThat(new String(stored, java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo(MAPPER.writeValueAsString(account));
      assertThat(serde.deserializer().deserialize("month-accounts", stored)).isEqualTo(account);
    }
  }
}
