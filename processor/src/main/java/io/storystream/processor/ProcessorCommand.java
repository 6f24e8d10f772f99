package io.storystream.processor;

import io.storystream.common.webhooks.WebhookTargets;
import io.storystream.processor.webhooks.WebhookDispatcher;
import io.storystream.schemas.registry.HttpSchemaRegistryClient;
import java.time.Clock;

import io.storystream.common.config.PlatformOptions;
import io.storystream.common.kafka.KafkaPreflight;
import io.storystream.common.ops.Management;
import io.storystream.common.ops.ManagementOptions;
import io.storystream.processor.admission.AdmissionService;
import io.storystream.processor.worker.WorkerCommand;
import io.storystream.processor.worker.WorkerOptions;
import io.storystream.processor.worker.WorkerService;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The processor process: admission, the worker and the webhook dispatcher, together by default, each switchable so
 * each can scale on its own ({@code --no-run-webhooks} ↔ {@code STORYSTREAM_RUN_WEBHOOKS=false}) ({@code --no-run-admission} ↔ {@code STORYSTREAM_RUN_ADMISSION=false}, {@code --no-run-worker} ↔
 * {@code STORYSTREAM_RUN_WORKER=false}).
 */
@Command(name = "processor", mixinStandardHelpOptions = true,
    description = "Admits analysis requests (quotas, cache, ownership) and runs the DataStoryBot worker.")
public final class ProcessorCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ProcessorCommand.class);

  @Mixin PlatformOptions platform;

  @Option(names = "--run-admission", negatable = true, fallbackValue = "true",
      defaultValue = "${env:STORYSTREAM_RUN_ADMISSION:-true}",
      description = "Run the admission topology (env STORYSTREAM_RUN_ADMISSION; default ${DEFAULT-VALUE}).")
  boolean runAdmission;

  @Option(names = "--run-worker", negatable = true, fallbackValue = "true",
      defaultValue = "${env:STORYSTREAM_RUN_WORKER:-true}",
      description = "Run the DataStoryBot worker (env STORYSTREAM_RUN_WORKER; default ${DEFAULT-VALUE}).")
  boolean runWorker;

  @Option(names = "--run-webhooks", negatable = true, fallbackValue = "true",
      defaultValue = "${env:STORYSTREAM_RUN_WEBHOOKS:-true}",
      description = "Deliver webhooks (env STORYSTREAM_RUN_WEBHOOKS; default ${DEFAULT-VALUE}). Private, loopback and "
          + "http:// targets only with STORYSTREAM_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true.")
  boolean runWebhooks;

  @Mixin WorkerOptions worker;

  @Mixin ManagementOptions managementOptions;

  @Mixin io.storystream.common.logging.LogOptions logs;

  /** Registers the readiness checks of the parts that run: {@code admission.streams} and {@code worker.loop}. */
  public static void register(Management management, AdmissionService admission, WorkerService worker) {
    if (admission != null) {
      management.readiness("admission.streams", () -> admission.state() == KafkaStreams.State.RUNNING);
    }
    if (worker != null) {
      management.readiness("worker.loop", worker::healthy);
    }
  }

  @Override
  public Integer call() throws Exception {
    logs.apply(false);
    Deque<AutoCloseable> running = new ArrayDeque<>();
    CountDownLatch stopped = new CountDownLatch(1);
    WorkerService workerService = null;
    AdmissionService admission = null;
    if (!runAdmission && !runWorker && !runWebhooks) {
      log.error("nothing to run: every part of the processor is switched off");
      return 2;
    }
    try {
      platform.checkedKafka();
    } catch (KafkaPreflight.KafkaUnavailableException e) {
      log.error("processor not started: {}", e.getMessage());
      System.err.println("processor not started: " + e.getMessage());
      return 2;
    }
    Management management = managementOptions.management();
    running.push(managementOptions.start(management, platform.dataDir));
    ProcessorMetrics metrics = new ProcessorMetrics(management.registry());
    try {
      if (runAdmission) {
        admission = new AdmissionService(platform.kafka(), platform.dataDir).withMetrics(metrics).start();
        running.push(admission);
      }
      if (runWorker) {
        workerService = new WorkerService(worker.config(platform)).withMetrics(metrics).start();
        workerService.terminated().thenRun(stopped::countDown); // stopped for good on its own: exit with an error
        running.push(workerService);
      }
      if (runWebhooks) {
        running.push(new WebhookDispatcher(WebhookDispatcher.Config.of(platform.kafka(), worker.instanceId()),
            new HttpSchemaRegistryClient(platform.kafka().registryUrl()), WebhookTargets.fromEnvironment(),
            Clock.systemUTC()).withMetrics(metrics).start());
      }
    } catch (Exception e) {
      running.forEach(ProcessorCommand::closeQuietly);
      throw e;
    }
    register(management, admission, workerService);
    System.out.println("processor running:" + (runAdmission ? " admission" : "")
        + (runWorker ? " worker " + worker.instanceId() : "") + (runWebhooks ? " webhooks" : ""));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.forEach(ProcessorCommand::closeQuietly); // last started, first closed
      stopped.countDown();
    }, "processor-shutdown"));
    stopped.await();
    return workerService == null ? 0 : WorkerCommand.exitCode(workerService);
  }

  private static void closeQuietly(AutoCloseable part) {
    try {
      part.close();
    } catch (Exception e) {
      log.warn("error while stopping {}", part.getClass().getSimpleName(), e);
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ProcessorCommand()).execute(args));
  }
}
