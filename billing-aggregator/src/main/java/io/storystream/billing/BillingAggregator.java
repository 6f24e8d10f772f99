package io.storystream.billing;

import io.storystream.common.ops.Management;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import io.storystream.schemas.registry.SchemaRegistryClient;
import io.storystream.schemas.topics.TopicCatalogue;
import io.storystream.schemas.topics.TopicSerdes;
import java.time.Duration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The billing aggregator service: the {@link BillingTopology} on Kafka Streams (exactly once) and the read API
 * {@link BillingHttpApi} over its stores. {@code start()} provisions missing topics, waits until the topology runs
 * (at most a minute; the API answers 503 until then) and opens the API; {@code close()} stops both.
 */
public final class BillingAggregator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BillingAggregator.class);

  private final BillingConfig config;
  private final SchemaRegistryClient registry;
  private KafkaStreams streams;
  private BillingHttpApi http;
  private BillingAccess access;
  private Management management;
  private PriceBookPublisher publisher;
  private io.storystream.common.ops.KafkaMeters.Binding streamsMeters;

  public BillingAggregator(BillingConfig config) {
    this(config, new HttpSchemaRegistryClient(config.kafka().registryUrl()));
  }

  public BillingAggregator(BillingConfig config, SchemaRegistryClient registry) {
    this.config = config;
    this.registry = registry;
  }

  /**
   * Who may read the API (call before {@link #start()}); by default the tokens kept in the data folder
   * ({@link BillingAccess#givenOrStored}).
   */
  public BillingAggregator withAccess(BillingAccess callers) {
    this.access = callers;
    return this;
  }

  /** Registers the readiness check {@code billing.streams} in this process's management registry. */
  public BillingAggregator withManagement(Management processManagement) {
    this.management = processManagement;
    return this;
  }

  public synchronized BillingAggregator start() throws InterruptedException, java.io.IOException {
    long t0 = System.nanoTime();
    BillingAccess callers = access != null ? access
        : BillingAccess.givenOrStored(null, null, config.dataDir().toAbsolutePath());
    try (Admin admin = Admin.create(config.kafka().admin())) {
      TopicCatalogue.standard(config.kafka().tenantPartitions(), config.kafka().replicationFactor()).ensure(admin);
      DedupChangelogPolicy.apply(admin, config.applicationId());
    }
    TopicSerdes serdes = new TopicSerdes(registry);
    io.micrometer.core.instrument.MeterRegistry meters = management != null ? management.registry()
        : new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    http = new BillingHttpApi(config.httpHost(), config.httpPort(), config.clock()).access(callers).meters(meters);
    http.start();
    streams = BillingStreams.start(BillingTopology.build(serdes, config.topologySettings(),
            new BillingMetrics(meters, config.clock())),
        BillingStreams.properties(config.kafka(), config.applicationId(), config.dataDir(),
            config.httpHost() + ":" + http.port()),
        config.clock(), Duration.ofSeconds(60));
    streamsMeters = io.storystream.common.ops.KafkaMeters.bind(meters, streams);
    if (management != null) {
      management.readiness("billing.streams", () -> {
        KafkaStreams s = streams;
        return s != null && s.state() == KafkaStreams.State.RUNNING;
      });
    }
    BillingQueries queries = new BillingQueries(streams, config.grace(), new HostInfo(config.httpHost(), http.port()));
    http.serve(queries);
    publisher = new PriceBookPublisher(config.kafka(), registry, PriceBookValidator.standard(), config.clock());
    http.servePriceBooks(new PriceBookOperations(publisher, queries::latestStatements, config.clock()));
    log.info("billing aggregator {} running, read API on http://{}:{} ({} ms)", config.applicationId(),
        config.httpHost(), http.port(), (System.nanoTime() - t0) / 1_000_000);
    return this;
  }

  /** The read API's port (useful when the config asked for 0). */
  public int port() {
    return http.port();
  }

  public KafkaStreams streams() {
    return streams;
  }

  @Override
  public synchronized void close() {
    if (http != null) {
      http.close();
      http = null;
    }
    if (publisher != null) {
      publisher.close();
      publisher = null;
    }
    if (streamsMeters != null) {
      streamsMeters.close();
      streamsMeters = null;
    }
    if (streams != null) {
      // a static member that stops cleanly leaves the group, so the other instances take its months over at once
      // instead of after the session timeout (a kill -9, which cannot leave, is what static membership is for)
      streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
          org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30)));
      streams = null;
      log.info("billing aggregator {} stopped", config.applicationId());
    }
  }
}
