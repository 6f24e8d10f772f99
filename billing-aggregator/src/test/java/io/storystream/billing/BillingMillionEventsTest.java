package io.storystream.billing;

import org.junit.jupiter.api.Tag;

/** The integration checks on one million usage events (tagged benchmark: excluded from the default test run). */
@Tag("benchmark")
class BillingMillionEventsTest extends BillingIntegrationTest {
  @Override
  protected int events() {
    return 1_000_000;
  }
}
