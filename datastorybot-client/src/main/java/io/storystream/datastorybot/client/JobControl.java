package io.storystream.datastorybot.client;

/**
 * The caller's hold on a running job. The client asks {@link #cancelled()} before every call it would send, so a
 * cancelled job makes no further DataStoryBot call (the one in flight runs out); and it reports the first
 * {@code analyze} request it sends, because a job that never reached analyze has cost nothing worth counting.
 */
public interface JobControl {
  /** A job nobody cancels and nobody watches. */
  JobControl NONE = new JobControl() {
    @Override
    public boolean cancelled() {
      return false;
    }

    @Override
    public void analyzeSent() {}
  };

  /** True once the job's owner no longer wants it run. */
  boolean cancelled();

  /** Called just before an analyze request is sent (each attempt; at least once if analyze was ever called). */
  void analyzeSent();
}
