package io.storystream.billing;

import io.storystream.common.kafka.KafkaSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/**
 * What the billing aggregator needs to run.
 *
 * @param kafka brokers, registry and the tenant partition count
 * @param dataDir state stores live under {@code dataDir/streams/<applicationId>}
 * @param httpHost address of the read API ({@code 127.0.0.1} in the embedded default)
 * @param httpPort port of the read API; 0 picks a free one (default {@value #DEFAULT_PORT})
 * @param applicationId the Kafka Streams application id (a replay uses another one)
 * @param grace how long after a month's end its usage still counts
 * @param statementInterval how often changed statements are issued
 * @param clock the wall clock that decides when a month is final and which month is current (the system clock;
 *              a shifted one in tests and month-end rehearsals)
 */
public record BillingConfig(KafkaSettings kafka, Path dataDir, String httpHost, int httpPort, String applicationId,
                            Duration grace, Duration statementInterval, Clock clock) {
  public static final int DEFAULT_PORT = 8083;
  public static final String DEFAULT_APPLICATION_ID = "storystream-billing";

  public static BillingConfig of(KafkaSettings kafka, Path dataDir) {
    return new BillingConfig(kafka, dataDir, "127.0.0.1", DEFAULT_PORT, DEFAULT_APPLICATION_ID,
        BillingTopology.Settings.DEFAULT_GRACE, BillingTopology.Settings.DEFAULT_STATEMENT_INTERVAL, Clock.systemUTC());
  }

  public BillingConfig withHttpPort(int port) {
    return new BillingConfig(kafka, dataDir, httpHost, port, applicationId, grace, statementInterval, clock);
  }

  public BillingConfig withGrace(Duration newGrace) {
    return new BillingConfig(kafka, dataDir, httpHost, httpPort, applicationId, newGrace, statementInterval, clock);
  }

  public BillingConfig withStatementInterval(Duration interval) {
    return new BillingConfig(kafka, dataDir, httpHost, httpPort, applicationId, grace, interval, clock);
  }

  public BillingConfig withClock(Clock newClock) {
    return new BillingConfig(kafka, dataDir, httpHost, httpPort, applicationId, grace, statementInterval, newClock);
  }

  public BillingTopology.Settings topologySettings() {
    return BillingTopology.Settings.defaults(applicationId).withGrace(grace).withStatementInterval(statementInterval);
  }
}
