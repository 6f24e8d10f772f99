package io.storystream.launcher.chaos;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every answer the load driver got, as a client would remember it: per job its tenant, prompt, the terminal state
 * it first saw and any answer that disagreed; per tenant the files accepted and the billed downloads served; answer
 * counts per operation and status. Bounded: one small record a job (at most {@link #MAX_JOBS}), counters, and at
 * most {@link #MAX_VIOLATIONS} violation texts.
 */
public final class Ledger {
  public static final int MAX_JOBS = 200_000;
  public static final int MAX_VIOLATIONS = 200;
  public static final Set<String> TERMINAL = Set.of("completed", "failed", "rejected", "cancelled");

  /** One job answered 202 (or found later under the tenant after an ambiguous submit). */
  public static final class Job {
    public final String jobId;
    public final String tenant;
    public final String prompt;
    public final String fileId;
    public final Instant submittedAt;
    volatile String terminal;
    volatile String reason;
    volatile boolean fromCache;
    volatile Instant completedAt;
    volatile Instant endSeenAt;
    volatile String cancelAnswer;
    /** The last state a 200 showed and the last status code a poll got: what a job that never ended was stuck at. */
    volatile String lastState;
    volatile int lastAnswer;

    Job(String jobId, String tenant, String prompt, String fileId, Instant submittedAt) {
      this.jobId = jobId;
      this.tenant = tenant;
      this.prompt = prompt;
      this.fileId = fileId;
      this.submittedAt = submittedAt;
    }

    public String terminal() {
      return terminal;
    }

    public String reason() {
      return reason;
    }

    public boolean fromCache() {
      return fromCache;
    }

    public Instant completedAt() {
      return completedAt;
    }

    public Instant endSeenAt() {
      return endSeenAt;
    }
  }

  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Long>> uploadsByTenant = new ConcurrentHashMap<>(); // fileId -> rows
  private final Map<String, LongAdder> billedDownloads = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> ambiguousSubmits = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> unansweredUploads = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> unansweredDownloads = new ConcurrentHashMap<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final AtomicLong violationCount = new AtomicLong();

  /** An answer of {@code operation} with {@code status} (0 = no answer: connection refused, reset or timed out). */
  public void answer(String operation, int status) {
    answers.computeIfAbsent(operation + " " + (status == 0 ? "no-answer" : status), k -> new LongAdder()).increment();
  }

  public Job accepted(String jobId, String tenant, String prompt, String fileId) {
    if (jobs.size() >= MAX_JOBS) {
      throw new IllegalStateException("the ledger holds " + MAX_JOBS + " jobs; run a shorter campaign");
    }
    return jobs.computeIfAbsent(jobId, id -> new Job(id, tenant, prompt, fileId, Instant.now()));
  }

  public Job job(String jobId) {
    return jobs.get(jobId);
  }

  public Collection<Job> jobs() {
    return jobs.values();
  }

  /**
   * A 200 of the job's status. The first terminal state is the job's; anything else seen after it (another terminal
   * state, or a state before the end) is a violation: a terminal state never changes.
   */
  public void status(String jobId, String state, String reason, boolean fromCache, Instant completedAt) {
    Job job = jobs.get(jobId);
    if (job == null) {
      return;
    }
    synchronized (job) {
      job.lastState = state;
      if (job.terminal == null) {
        if (TERMINAL.contains(state)) {
          job.terminal = state;
          job.reason = reason;
          job.fromCache = fromCache;
          job.completedAt = completedAt;
          job.endSeenAt = Instant.now();
        }
      } else if (!job.terminal.equals(state)) {
        violation("job " + jobId + " was seen " + job.terminal + " and later " + state);
      }
    }
  }

  /** The status code of a poll of the job (kept for the report of a job that never ended). */
  public void pollAnswer(String jobId, int status) {
    Job job = jobs.get(jobId);
    if (job != null) {
      job.lastAnswer = status;
    }
  }

  public void cancelAnswer(String jobId, int status) {
    Job job = jobs.get(jobId);
    if (job != null) {
      job.cancelAnswer = Integer.toString(status);
    }
  }

  public void upload(String tenant, String fileId, long rows) {
    uploadsByTenant.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>()).put(fileId, rows);
  }

  public Map<String, Long> uploads(String tenant) {
    return uploadsByTenant.getOrDefault(tenant, Map.of());
  }

  public long rowsOf(String tenant, String fileId) {
    return uploads(tenant).getOrDefault(fileId, 0L);
  }

  /** A chart or dataset served (200): the downloads the price book counts. */
  public void billedDownload(String tenant) {
    billedDownloads.computeIfAbsent(tenant, t -> new LongAdder()).increment();
  }

  public long billedDownloads(String tenant) {
    LongAdder n = billedDownloads.get(tenant);
    return n == null ? 0 : n.sum();
  }

  /** A chart or dataset request that got no answer at all: metered before serving, so it may have been billed. */
  public void unansweredDownload(String tenant) {
    unansweredDownloads.computeIfAbsent(tenant, t -> new LongAdder()).increment();
  }

  public long unansweredDownloads(String tenant) {
    LongAdder n = unansweredDownloads.get(tenant);
    return n == null ? 0 : n.sum();
  }

  /** An upload that got no answer at all: registered or not, the client cannot tell. */
  public void unansweredUpload(String tenant) {
    unansweredUploads.computeIfAbsent(tenant, t -> new LongAdder()).increment();
  }

  public long unansweredUploads(String tenant) {
    LongAdder n = unansweredUploads.get(tenant);
    return n == null ? 0 : n.sum();
  }

  /** A submit without Idempotency-Key that got no clear answer: it may or may not have made a job. */
  public void ambiguousSubmit(String tenant) {
    ambiguousSubmits.computeIfAbsent(tenant, t -> new LongAdder()).increment();
  }

  public long ambiguousSubmits(String tenant) {
    LongAdder n = ambiguousSubmits.get(tenant);
    return n == null ? 0 : n.sum();
  }

  public void violation(String text) {
    if (violationCount.incrementAndGet() <= MAX_VIOLATIONS) {
      violations.add(text);
    }
  }

  public List<String> violations() {
    List<String> out = new ArrayList<>(violations);
    long more = violationCount.get() - violations.size();
    if (more > 0) {
      out.add("… and " + more + " more");
    }
    return out;
  }

  public Map<String, Long> answers() {
    Map<String, Long> out = new TreeMap<>();
    answers.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
