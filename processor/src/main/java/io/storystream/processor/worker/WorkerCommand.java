package io.storystream.processor.worker;

import io.storystream.common.config.PlatformOptions;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Runs the DataStoryBot worker on its own: {@code java … io.storystream.processor.worker.WorkerCommand}. */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = "Runs admitted analyses on DataStoryBot with fair per-tenant concurrency.")
public final class WorkerCommand implements Callable<Integer> {

  @Mixin PlatformOptions platform;

  @Mixin WorkerOptions worker;

  @Mixin io.storystream.common.logging.LogOptions logs;

  public static void main(String[] args) {
    System.exit(new CommandLine(new WorkerCommand()).execute(args));
  }

  public WorkerConfig config() {
    return worker.config(platform);
  }

  @Override
  public Integer call() throws InterruptedException {
    logs.apply(false);
    CountDownLatch stopped = new CountDownLatch(1);
    WorkerService service = new WorkerService(config()).start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stopped.countDown();
    }, "worker-shutdown"));
    service.terminated().thenRun(stopped::countDown); // the loop stopped for good on its own
    System.out.println("worker " + worker.instanceId() + " running");
    stopped.await();
    return exitCode(service);
  }

  /** 1 when the worker stopped on a failure that a restart cannot fix (the log says which), else 0. */
  public static int exitCode(WorkerService service) {
    return service.health() == WorkerService.Health.FAILED ? 1 : 0;
  }
}
