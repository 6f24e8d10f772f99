package io.storystream.launcher.chaos;

import io.storystream.datastorybot.standin.Fault;
import io.storystream.datastorybot.standin.Faults;
import io.storystream.launcher.chaos.Deployment.Kind;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * The faults of a campaign, drawn from a seed and printed before the first one: rounds in which every kind occurs
 * once, in a shuffled order and on a random instance, one fault at a time (the next begins a gap after the one
 * before has ended, i.e. its process serves again), until the campaign's time is up and at least one round is done.
 */
public final class FaultSchedule {
  /** What can go wrong. */
  public enum FaultKind {
    KILL_BROKER, KILL_INGRESS, KILL_PROCESSOR, KILL_BILLING, KILL_SINK, STOP_BROKER, STOP_CONTROLLER,
    STANDIN_ERRORS_THEN_DOWN, S3_DOWN, REGISTRY_RESTART, PROCESSOR_ZOMBIE
  }

  /** How long the timed faults last. */
  public record Sizes(Duration standInErrors, Duration standInDown, Duration s3Down, Duration zombie, Duration gap,
                      boolean overlapRestarts) {
    /** The issue's full size: 30 % 5xx then 60 s down, S3 30 s down, a pause well past the 30 s session timeout. */
    public static Sizes full() {
      return new Sizes(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(45),
          Duration.ofSeconds(20), false);
    }

    /**
     * The suite's size: each kind once, shorter outages, the pause still past the session timeout, and the next fault
     * begins while a killed ingress, processor or billing process is still restarting (brokers are always one at a
     * time, so two of three stay up).
     */
    public static Sizes reduced() {
      return new Sizes(Duration.ofSeconds(10), Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(40),
          Duration.ofSeconds(5), true);
    }
  }

  /** One planned fault: its kind and the instance it hits (0-based; unused where there is one). */
  public record Planned(FaultKind kind, int instance) {
    @Override
    public String toString() {
      return kind.name().toLowerCase() + switch (kind) {
        case KILL_BROKER, KILL_INGRESS, KILL_PROCESSOR, KILL_BILLING, STOP_BROKER, PROCESSOR_ZOMBIE -> " #" + (instance + 1);
        default -> "";
      };
    }
  }

  /** One fault as it happened: injected, ended (the service back), and what it hit. */
  public record Injected(Planned planned, String detail, Instant injectedAt, Instant endedAt) {}

  private final long seed;
  private final Sizes sizes;
  private final Random random;
  private final List<Injected> injected = new CopyOnWriteArrayList<>();

  public FaultSchedule(long seed, Sizes sizes) {
    this.seed = seed;
    this.sizes = sizes;
    this.random = new Random(seed);
  }

  /** The next round: every kind once, shuffled by the seed. */
  public List<Planned> round() {
    List<FaultKind> kinds = new ArrayList<>(Arrays.asList(FaultKind.values()));
    Collections.shuffle(kinds, random);
    List<Planned> round = new ArrayList<>();
    for (FaultKind k : kinds) {
      int instances = switch (k) {
        case KILL_BROKER, STOP_BROKER -> 3;
        case KILL_INGRESS, KILL_PROCESSOR, KILL_BILLING, PROCESSOR_ZOMBIE -> 2;
        default -> 1;
      };
      round.add(new Planned(k, random.nextInt(instances)));
    }
    return round;
  }

  public void print(PrintStream out, List<Planned> firstRound) {
    out.println("chaos: seed " + seed + ", " + sizes + "; first round: " + firstRound
        + " (further rounds drawn from the same seed)");
  }

  /**
   * Injects rounds of faults until {@code keepGoing} says stop at the end of a fault (at least one whole round).
   * Each fault ends with its service serving again.
   */
  public void run(Deployment deployment, BooleanSupplier keepGoing, PrintStream out) throws Exception {
    List<Planned> round = round();
    print(out, round);
    int done = 0;
    while (true) {
      for (Planned p : round) {
        Thread.sleep(sizes.gap().toMillis()); // the schedule's spacing between faults
        Instant at = Instant.now();
        String detail = inject(deployment, p, at, out);
        if (detail != null) {
          ended(p, detail, at, out);
        }
        done++;
        if (done >= round.size() && !keepGoing.getAsBoolean()) {
          for (Thread restart : restarting.values()) {
            restart.join();
          }
          if (restartFailed != null) {
            throw restartFailed;
          }
          return;
        }
      }
      round = round();
    }
  }

  private void ended(Planned p, String detail, Instant at, PrintStream out) {
    Instant ended = Instant.now();
    injected.add(new Injected(p, detail, at, ended));
    out.printf("chaos: %s %s (%s) back after %d s%n", at, p, detail, Duration.between(at, ended).toSeconds());
  }

  /** Injects one fault; its description once it is over, or null when it ends in the background (recorded then). */
  private String inject(Deployment d, Planned p, Instant at, PrintStream out) throws Exception {
    switch (p.kind()) {
      case KILL_BROKER -> {
        return killAndRestart(d, Kind.BROKER, p.instance());
      }
      case KILL_INGRESS -> {
        return killAndRestartMaybeInBackground(d, p, Kind.INGRESS, p.instance(), at, out);
      }
      case KILL_PROCESSOR -> {
        return killAndRestartMaybeInBackground(d, p, Kind.PROCESSOR, p.instance(), at, out);
      }
      case KILL_BILLING -> {
        return killAndRestartMaybeInBackground(d, p, Kind.BILLING, p.instance(), at, out);
      }
      case KILL_SINK -> {
        return killAndRestartMaybeInBackground(d, p, Kind.SINK, 0, at, out);
      }
      case STOP_BROKER -> {
        d.stop(Kind.BROKER, p.instance());
        d.restart(Kind.BROKER, p.instance());
        return "broker " + (p.instance() + 1) + " stopped (SIGTERM) and started";
      }
      case STOP_CONTROLLER -> {
        int node = d.controllerNode();
        d.stop(Kind.BROKER, node - 1);
        d.restart(Kind.BROKER, node - 1);
        return "the active controller, node " + node + ", stopped and started";
      }
      case STANDIN_ERRORS_THEN_DOWN -> {
        Faults faults = d.standIn().faults();
        faults.sometimes(Faults.ANY, Fault.INTERNAL_ERROR, 0.3);
        Thread.sleep(sizes.standInErrors().toMillis()); // the fault's length
        faults.clear();
        d.stopStandIn();
        Thread.sleep(sizes.standInDown().toMillis()); // the outage's length
        d.startStandIn();
        return "DataStoryBot 30 % 500 for " + sizes.standInErrors().toSeconds() + " s, then down for "
            + sizes.standInDown().toSeconds() + " s";
      }
      case S3_DOWN -> {
        d.stopS3();
        Thread.sleep(sizes.s3Down().toMillis()); // the outage's length
        d.startS3();
        return "S3 down for " + sizes.s3Down().toSeconds() + " s";
      }
      case REGISTRY_RESTART -> {
        d.restartRegistry();
        return "schema registry restarted";
      }
      case PROCESSOR_ZOMBIE -> {
        awaitRestart(Kind.PROCESSOR, p.instance()); // pause the process that runs, not one being replaced
        d.pause(Kind.PROCESSOR, p.instance());
        Thread.sleep(sizes.zombie().toMillis()); // past the session timeout: its partitions move away meanwhile
        d.resume(Kind.PROCESSOR, p.instance());
        return "processor " + (p.instance() + 1) + " SIGSTOP for " + sizes.zombie().toSeconds() + " s, then SIGCONT";
      }
      default -> throw new IllegalArgumentException(p.toString());
    }
  }

  private final java.util.Map<String, Thread> restarting = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile Exception restartFailed;

  private String killAndRestartMaybeInBackground(Deployment d, Planned p, Kind kind, int instance, Instant at,
                                                 PrintStream out) throws Exception {
    awaitRestart(kind, instance);
    if (!sizes.overlapRestarts()) {
      return killAndRestart(d, kind, instance);
    }
    d.kill(kind, instance);
    Thread restart = new Thread(() -> {
      try {
        d.restart(kind, instance);
        ended(p, kind.name().toLowerCase() + " " + (instance + 1) + " kill -9 and restart (the next fault meanwhile)",
            at, out);
      } catch (Exception e) {
        restartFailed = e;
      }
    }, "restart-" + kind + "-" + instance);
    restarting.put(kind + "-" + instance, restart);
    restart.start();
    return null;
  }

  private void awaitRestart(Kind kind, int instance) throws Exception {
    Thread pending = restarting.remove(kind + "-" + instance);
    if (pending != null) {
      pending.join();
    }
    if (restartFailed != null) {
      throw restartFailed;
    }
  }

  private static String killAndRestart(Deployment d, Kind kind, int instance) throws Exception {
    d.kill(kind, instance);
    d.restart(kind, instance);
    return kind.name().toLowerCase() + " " + (instance + 1) + " kill -9 and restart";
  }

  /** The faults over so far, in the order they were injected. */
  public List<Injected> injected() {
    return injected.stream().sorted(java.util.Comparator.comparing(Injected::injectedAt)).toList();
  }
}
