package io.storystream.launcher.chaos;

import io.storystream.launcher.chaos.FaultSchedule.FaultKind;
import io.storystream.launcher.chaos.FaultSchedule.Injected;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The fault campaign: the distributed deployment under steady load from several tenants while faults keep coming on a
 * seeded schedule, then a reconciliation from the outside. {@code scripts/chaos.sh --minutes N --seed S} runs it at
 * full size; {@code ChaosCampaignTest} at the suite's size.
 */
public final class ChaosCampaign {
  /** A campaign's size: how long the load runs, how many client threads per tenant, the faults' lengths. */
  public record Settings(Duration load, long seed, int threadsPerTenant, FaultSchedule.Sizes sizes,
                         int quotaOfTheSmallTenant) {
    public static Settings full(int minutes, long seed) {
      return new Settings(Duration.ofMinutes(minutes), seed, 2, FaultSchedule.Sizes.full(), 100);
    }

    public static Settings reduced(long seed) {
      return new Settings(Duration.ofMinutes(3), seed, 1, FaultSchedule.Sizes.reduced(), 6);
    }
  }

  /** What the campaign found: the report's text, and every mismatch (none = passed). */
  public record Outcome(String report, List<String> problems, Map<FaultKind, Long> faultsByKind, long lost,
                        long duplicated) {}

  private ChaosCampaign() {}

  public static Outcome run(Settings settings, Path data, PrintStream out) throws Exception {
    List<LoadDriver.Tenant> tenants = List.of(
        new LoadDriver.Tenant("chaos-enterprise", "enterprise", null),
        new LoadDriver.Tenant("chaos-pro", "pro", null),
        new LoadDriver.Tenant("chaos-starter", "starter", null),
        new LoadDriver.Tenant("chaos-small", "starter", settings.quotaOfTheSmallTenant()));
    Ledger ledger = new Ledger();
    try (Deployment deployment = new Deployment(data)) {
      // a campaign stopped with Ctrl-C leaves no brokers or services behind
      Thread cleanup = new Thread(deployment::close, "chaos-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      try {
        return run(settings, deployment, tenants, ledger, out);
      } finally {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      }
    }
  }

  private static Outcome run(Settings settings, Deployment deployment, List<LoadDriver.Tenant> tenants, Ledger ledger,
                             PrintStream out) throws Exception {
    Instant t0 = Instant.now();
    deployment.start();
    // DataStoryBot takes a moment per analysis, so jobs are in flight when faults hit
    deployment.standInLatency(Duration.ofMillis(500));
    out.printf("chaos: deployment up in %d s%n", Duration.between(t0, Instant.now()).toSeconds());
    LoadDriver load = new LoadDriver(tenants, deployment.tenantApis(), ledger, settings.seed(),
        settings.threadsPerTenant());
    load.provision(deployment.operatorApi(), Deployment.OPERATOR_TOKEN);
    Instant start = Instant.now();
    Instant end = start.plus(settings.load());
    load.start();
    FaultSchedule schedule = new FaultSchedule(settings.seed(), settings.sizes());
    Thread progress = progress(ledger, schedule, start, out);
    AtomicReference<Exception> failed = new AtomicReference<>();
    try {
      schedule.run(deployment, () -> Instant.now().isBefore(end.minus(settings.sizes().gap())), out);
    } catch (Exception e) {
      failed.set(e);
    }
    while (Instant.now().isBefore(end) && failed.get() == null) {
      Thread.sleep(1000); // the load's remaining time after the last fault
    }
    load.close();
    progress.interrupt();
    Instant loadEnded = Instant.now();
    out.printf("chaos: load stopped after %d s; reconciling%n", Duration.between(start, loadEnded).toSeconds());
    if (failed.get() != null) {
      // a service that did not come back is a finding too; reconcile what there is
      ledger.violation("the fault schedule stopped: " + failed.get());
      failed.get().printStackTrace(out);
    }
    List<Injected> injected = schedule.injected();
    deployment.standInLatency(Duration.ZERO);
    Reconciliation reconciliation = new Reconciliation(deployment, load, ledger, tenants, injected, start).run();
    String report = report(settings, ledger, injected, reconciliation, Duration.between(start, loadEnded));
    out.println(report);
    Map<FaultKind, Long> byKind = injected.stream()
        .collect(Collectors.groupingBy(i -> i.planned().kind(), TreeMap::new, Collectors.counting()));
    return new Outcome(report, reconciliation.problems(), byKind,
        ((Number) reconciliation.figures().get("lost")).longValue(),
        ((Number) reconciliation.figures().get("duplicated")).longValue());
  }

  /** A line a minute while the load runs, so a run cut short still tells how far it got. */
  private static Thread progress(Ledger ledger, FaultSchedule schedule, Instant start, PrintStream out) {
    Thread t = new Thread(() -> {
      try {
        while (true) {
          Thread.sleep(60_000); // the progress line's period
          Map<String, Long> states = new TreeMap<>();
          ledger.jobs().forEach(j -> states.merge(j.terminal() == null ? "open" : j.terminal(), 1L, Long::sum));
          out.printf("chaos: %d s: %d faults injected, %d jobs answered 202 %s, %d violations so far%n",
              Duration.between(start, Instant.now()).toSeconds(), schedule.injected().size(), ledger.jobs().size(),
              states, ledger.violations().size());
        }
      } catch (InterruptedException e) {
        // the load ended
      }
    }, "chaos-progress");
    t.setDaemon(true);
    t.start();
    return t;
  }

  static String report(Settings settings, Ledger ledger, List<Injected> injected, Reconciliation reconciliation,
                       Duration load) {
    StringBuilder r = new StringBuilder();
    r.append("## Fault campaign: seed ").append(settings.seed()).append(", load ").append(load.toSeconds())
        .append(" s, ").append(settings.threadsPerTenant()).append(" client threads per tenant, 4 tenants\n\n");
    Map<FaultKind, Long> byKind = injected.stream()
        .collect(Collectors.groupingBy(i -> i.planned().kind(), TreeMap::new, Collectors.counting()));
    r.append("Faults injected: ").append(injected.size()).append(" — ").append(byKind).append("\n\n");
    List<Ledger.Job> jobs = new ArrayList<>(ledger.jobs());
    Map<String, Long> byState = new TreeMap<>();
    Map<String, Long> byReason = new TreeMap<>();
    for (Ledger.Job j : jobs) {
      String state = j.terminal() == null ? "lost (never ended)" : j.terminal();
      byState.merge(state, 1L, Long::sum);
      if ("failed".equals(j.terminal()) || "rejected".equals(j.terminal())) {
        byReason.merge(j.terminal() + ": " + j.reason(), 1L, Long::sum);
      }
    }
    r.append("Jobs answered 202: ").append(jobs.size()).append("; by end state ").append(byState).append('\n');
    r.append("Failed and rejected by reason: ").append(byReason).append('\n');
    // the near misses: a job that took minutes to end in a run that passed is where the next lost one comes from
    r.append("Slowest to be seen ending (s, state): ").append(jobs.stream().filter(j -> j.endSeenAt() != null)
        .sorted(Comparator.comparing((Ledger.Job j) -> Duration.between(j.submittedAt, j.endSeenAt())).reversed())
        .limit(5).map(j -> j.jobId + " " + Duration.between(j.submittedAt, j.endSeenAt()).toSeconds() + " "
            + j.terminal()).toList()).append('\n');
    reconciliation.figures().forEach((k, v) -> r.append(k).append(": ").append(v).append('\n'));
    r.append("Answers by operation and status: ").append(ledger.answers()).append("\n\n");
    r.append("| fault | injected (UTC) | back after | first completion after injection | after its end |\n");
    r.append("|---|---|---|---|---|\n");
    List<Instant> completions = jobs.stream().map(Ledger.Job::completedAt).filter(Objects::nonNull).sorted().toList();
    for (Injected f : injected) {
      r.append("| ").append(f.planned()).append(" (").append(f.detail()).append(") | ").append(f.injectedAt())
          .append(" | ").append(Duration.between(f.injectedAt(), f.endedAt()).toSeconds()).append(" s | ")
          .append(firstAfter(completions, f.injectedAt())).append(" | ").append(firstAfter(completions, f.endedAt()))
          .append(" |\n");
    }
    Map<FaultKind, Long> longest = new TreeMap<>();
    for (Injected f : injected) {
      Long s = secondsUntilFirst(completions, f.endedAt());
      if (s != null) {
        longest.merge(f.planned().kind(), s, Math::max);
      }
    }
    r.append("\nLongest time from a fault's end to the first job completing again, by kind (s): ").append(longest)
        .append('\n');
    List<String> problems = reconciliation.problems();
    r.append(problems.isEmpty() ? "\nReconciliation: every check passed.\n"
        : "\nReconciliation FAILED (" + problems.size() + "):\n  " + String.join("\n  ", problems) + "\n");
    return r.toString();
  }

  private static String firstAfter(List<Instant> completions, Instant at) {
    Long s = secondsUntilFirst(completions, at);
    return s == null ? "none" : s + " s";
  }

  private static Long secondsUntilFirst(List<Instant> completions, Instant at) {
    return completions.stream().filter(c -> !c.isBefore(at)).min(Comparator.naturalOrder())
        .map(c -> Duration.between(at, c).toMillis() / 1000).orElse(null);
  }

  /** {@code ChaosCampaign --minutes N --seed S [--data DIR]}: exits 1 on any reconciliation mismatch. */
  public static void main(String[] args) throws Exception {
    int minutes = 30;
    long seed = 19;
    Path data = null;
    boolean suiteSize = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--minutes" -> minutes = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--data" -> data = Path.of(args[++i]);
        case "--suite-size" -> suiteSize = true;
        default -> {
          System.err.println("usage: ChaosCampaign [--minutes N] [--seed S] [--data DIR] [--suite-size]");
          System.exit(2);
        }
      }
    }
    if (data == null) {
      data = Files.createTempDirectory("chaos-");
    }
    Outcome outcome = run(suiteSize ? Settings.reduced(seed) : Settings.full(minutes, seed), data, System.out);
    System.exit(outcome.problems().isEmpty() ? 0 : 1);
  }
}
