package io.storystream.processor.worker;

import io.storystream.common.results.ResultDocument;
import io.storystream.schemas.AnalysisStatus;
import io.storystream.schemas.AnalysisWork;
import io.storystream.schemas.JobState;
import io.storystream.schemas.serde.AvroDeserializer;
import io.storystream.schemas.serde.AvroSerializer;
import io.storystream.schemas.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Share group or consumer group for the worker's queue? Both designs consume the same work records on the same
 * broker with the same simulated job (a timer that completes after the stand-in latency, no S3, no HTTP), so the
 * figures compare the queue mechanics alone:
 * <ul>
 *   <li>consumer group: {@link WorkerService}'s loop (fair scheduler, out-of-order offsets, one transaction per
 *       turn with the outputs and offsets);
 *   <li>share group: {@code KafkaShareConsumer}s with explicit acknowledgement, each multiplexing many jobs (RENEW
 *       on the ones still running, ACCEPT on finished ones after their status is produced, {@code commitSync}).
 * </ul>
 * Then each design is stopped abruptly halfway through and restarted, and duplicate completions are counted.
 * Run: {@code java -cp <test classpath> io.storystream.processor.worker.QueueDesignBenchmark cg|cg-stop|sg|sg-stop [jobs] [inFlight] [latencyMs]}.
 */
public final class QueueDesignBenchmark {

  public static void main(String[] args) throws Exception {
    String design = args.length > 0 ? args[0] : "cg";
    int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 3_000;
    int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 500;
    long latencyMs = args.length > 3 ? Long.parseLong(args[3]) : 2_000;
    Path dir = Files.createTempDirectory("queue-bench");
    double ideal = inFlight * 1000.0 / latencyMs;
    // one design per JVM and broker, so nothing of one run leaks into the next
    double rate = switch (design) {
      case "cg" -> consumerGroup(dir, jobs, inFlight, latencyMs, false);
      case "cg-stop" -> consumerGroup(dir, jobs, inFlight, latencyMs, true);
      case "sg" -> shareGroup(dir, jobs, inFlight, latencyMs, false);
      case "sg-stop" -> shareGroup(dir, jobs, inFlight, latencyMs, true);
      default -> throw new IllegalArgumentException("design is one of cg, cg-stop, sg, sg-stop");
    };
    System.out.printf("  %s: %d jobs, %d in flight, %d ms per job: %.0f jobs/s, ideal %.0f (%.2f)%n", design, jobs,
        inFlight, latencyMs, rate, ideal, rate / ideal);
    System.exit(0);
  }

  /** Timer jobs: complete after the latency, on a scheduler thread, like an async HTTP call would. */
  static final class TimerJobs implements JobExecutor {
    final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
    final long latencyMs;

    TimerJobs(long latencyMs) {
      this.latencyMs = latencyMs;
    }

    @Override
    public CompletableFuture<JobOutcome> run(AnalysisWork work) {
      CompletableFuture<JobOutcome> done = new CompletableFuture<>();
      timer.schedule(() -> done.complete(JobOutcome.completed(
          ResultDocument.prefix(work.getTenantId(), work.getJobId()), work.getFileRows(), System.currentTimeMillis())),
          latencyMs, TimeUnit.MILLISECONDS);
      return done;
    }
  }

  static double consumerGroup(Path dir, int count, int inFlight, long latencyMs, boolean stopHalfway) throws Exception {
    try (WorkerStack stack = new WorkerStack(dir, null)) {
      WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);
      Set<String> ids = submit(stack, count, inFlight);
      TimerJobs jobs = new TimerJobs(latencyMs);
      WorkerConfig config = stack.workerConfig(inFlight, "queue-cg").withGroupId("queue-cg");
      WorkerService worker = new WorkerService(config, stack.registry, Clock.systemUTC(), jobs).start();
      if (stopHalfway) {
        awaitCompleted(statuses, ids, count / 2);
        worker.halt(); // a crash in one JVM: the turn in progress is not committed, running jobs are abandoned
        worker = new WorkerService(config, stack.registry, Clock.systemUTC(), jobs).start();
      }
      awaitCompleted(statuses, ids, count);
      double rate = rate(statuses, ids);
      worker.close();
      jobs.timer.shutdownNow();
      report("consumer group", statuses, ids, stopHalfway);
      return rate;
    }
  }

  static double shareGroup(Path dir, int count, int inFlight, long latencyMs, boolean stopHalfway) throws Exception {
    try (WorkerStack stack = new WorkerStack(dir, null)) {
      WorkerStack.Tail<AnalysisStatus> statuses = stack.tail(Topics.ANALYSIS_STATUS);
      try (Admin admin = Admin.create(stack.kafkaSettings().admin())) {
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, "queue-sg"), List.of(
            new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET),
            new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", "30000"), AlterConfigOp.OpType.SET))))
            .all().get();
      }
      Set<String> ids = submit(stack, count, inFlight);
      TimerJobs jobs = new TimerJobs(latencyMs);
      int consumers = 10;
      List<ShareSlot> slots = startShareConsumers(stack, consumers, inFlight / consumers, jobs);
      if (stopHalfway) {
        awaitCompleted(statuses, ids, count / 2);
        slots.forEach(ShareSlot::abandon);
        slots = startShareConsumers(stack, consumers, inFlight / consumers, jobs);
      }
      awaitCompleted(statuses, ids, count);
      double rate = rate(statuses, ids);
      slots.forEach(ShareSlot::abandon);
      jobs.timer.shutdownNow();
      report("share group", statuses, ids, stopHalfway);
      return rate;
    }
  }

  static List<ShareSlot> startShareConsumers(WorkerStack stack, int consumers, int capacity, TimerJobs jobs) {
    List<ShareSlot> slots = new ArrayList<>();
    for (int i = 0; i < consumers; i++) {
      slots.add(new ShareSlot(stack, capacity, jobs, i));
    }
    return slots;
  }

  /**
   * One share consumer on its own thread multiplexing up to {@code capacity} jobs: acquired records stay locked
   * with RENEW while their job runs; a finished job's status is produced, then the record is ACCEPTed.
   */
  static final class ShareSlot {
    final AtomicBoolean running = new AtomicBoolean(true);
    volatile boolean crashed;
    final Thread thread;

    ShareSlot(WorkerStack stack, int capacity, TimerJobs jobs, int n) {
      Properties props = new Properties();
      props.put("bootstrap.servers", stack.kafka.bootstrapServers());
      props.put("group.id", "queue-sg");
      props.put("share.acknowledgement.mode", "explicit");
      props.put("max.poll.records", Integer.toString(capacity));
      props.put("key.deserializer", StringDeserializer.class.getName());
      props.put("value.deserializer", ByteArrayDeserializer.class.getName());
      AvroDeserializer<AnalysisWork> decode = new AvroDeserializer<>(stack.registry, AnalysisWork.class);
      KafkaProducer<String, byte[]> producer = new KafkaProducer<>(stack.kafkaSettings().producer("share-" + n));
      WorkerOutputs outputs = new WorkerOutputs(stack.registry, Duration.ofDays(7));
      thread = new Thread(() -> {
        // renewed records come back with every poll (KAFKA-20458) and only records of the latest poll can be
        // acknowledged, so jobs are tracked by partition and offset and acknowledged through the latest copy
        Map<String, CompletableFuture<JobOutcome>> held = new HashMap<>();
        Set<String> finished = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Set<String> busy = new HashSet<>();
        java.util.ArrayDeque<ConsumerRecord<String, byte[]>> waiting = new java.util.ArrayDeque<>();
        try (KafkaShareConsumer<String, byte[]> consumer = new KafkaShareConsumer<>(props)) {
          consumer.subscribe(List.of(Topics.ANALYSIS_WORK.name()));
          while (running.get()) {
            var records = consumer.poll(Duration.ofMillis(100));
            if (crashed) {
              break; // a crash: nothing acknowledged, the consumer's records go back to the group
            }
            producer.flush(); // a status must be durable before its record is accepted
            for (ConsumerRecord<String, byte[]> record : records) {
              String id = record.partition() + "@" + record.offset();
              if (held.containsKey(id)) {
                if (finished.remove(id)) {
                  held.remove(id);
                  busy.remove(id);
                  consumer.acknowledge(record, AcknowledgeType.ACCEPT);
                } else {
                  consumer.acknowledge(record, AcknowledgeType.RENEW);
                }
                continue;
              }
              // a new record: held from now on (RENEWed with every poll); it starts when a slot is free.
              // RELEASEing records over capacity instead would use up their delivery attempts until the group
              // archives them silently.
              held.put(id, null);
              waiting.add(record);
              consumer.acknowledge(record, AcknowledgeType.RENEW);
            }
            while (busy.size() < capacity && !waiting.isEmpty()) {
              ConsumerRecord<String, byte[]> record = waiting.poll();
              String id = record.partition() + "@" + record.offset();
              AnalysisWork work = decode.deserialize(record.topic(), record.value());
              long startedAt = System.currentTimeMillis();
              producer.send(outputs.running(work, startedAt));
              CompletableFuture<JobOutcome> job = jobs.run(work);
              held.put(id, job);
              busy.add(id);
              job.thenAccept(outcome -> {
                outputs.finished(work, startedAt, outcome).forEach(producer::send);
                finished.add(id);
              });
            }
            consumer.commitSync();
          }
        } catch (Exception e) {
          if (running.get()) {
            e.printStackTrace();
          }
        } finally {
          producer.close(Duration.ZERO);
        }
      }, "share-slot-" + n);
      thread.start();
    }

    /** Stops like a crash: nothing of the last poll is acknowledged, held records go to the next consumer. */
    void abandon() {
      crashed = true;
      running.set(false);
      try {
        thread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Jobs per second from the first job's start to the last completion: group joins are not counted. */
  static double rate(WorkerStack.Tail<AnalysisStatus> statuses, Set<String> ids) {
    long first = Long.MAX_VALUE;
    long last = 0;
    long completed = 0;
    for (AnalysisStatus s : statuses.values()) {
      if (!ids.contains(s.getJobId())) {
        continue;
      }
      if (s.getState() == JobState.RUNNING) {
        first = Math.min(first, s.getStartedAt().toEpochMilli());
      } else if (s.getState() == JobState.COMPLETED) {
        last = Math.max(last, s.getCompletedAt().toEpochMilli());
        completed++;
      }
    }
    return ids.size() * 1000.0 / Math.max(1, last - first);
  }

  static Set<String> submit(WorkerStack stack, int count, int cap) {
    List<String> tenants = List.of("q-a", "q-b", "q-c", "q-d", "q-e");
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < count; i++) {
      String tenant = tenants.get(i % tenants.size());
      AnalysisWork work = stack.work(tenant, "tenants/" + tenant + "/files/file_x", cap);
      ids.add(work.getJobId());
      stack.submit(work);
    }
    stack.flush();
    return ids;
  }

  static void awaitCompleted(WorkerStack.Tail<AnalysisStatus> statuses, Set<String> ids, int atLeast)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (distinctCompleted(statuses, ids) < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + distinctCompleted(statuses, ids) + " of " + atLeast + " completed");
      }
      Thread.sleep(50); // a benchmark's progress poll
    }
  }

  static long distinctCompleted(WorkerStack.Tail<AnalysisStatus> statuses, Set<String> ids) {
    return statuses.values().stream().filter(s -> s.getState() == JobState.COMPLETED && ids.contains(s.getJobId()))
        .map(AnalysisStatus::getJobId).distinct().count();
  }

  static void report(String design, WorkerStack.Tail<AnalysisStatus> statuses, Set<String> ids, boolean stopped)
      throws InterruptedException {
    Thread.sleep(1_000); // let stragglers arrive before counting
    Map<String, Long> completions = statuses.values().stream()
        .filter(s -> s.getState() == JobState.COMPLETED && ids.contains(s.getJobId()))
        .collect(Collectors.groupingBy(AnalysisStatus::getJobId, Collectors.counting()));
    long duplicates = completions.values().stream().mapToLong(n -> n - 1).sum();
    System.out.printf("  %s%s: %d jobs completed, %d duplicate completions%n", design,
        stopped ? " stopped halfway and restarted" : "", completions.size(), duplicates);
  }
}
