package io.storystream.datastorybot.client;

import java.time.Duration;

/**
 * Wall time spent in each phase of one job (including retries and waits, summed over container restarts; the
 * parallel downloads count once as their wall time), the number of HTTP attempts and how many times the job started
 * again from upload because its container had expired.
 */
public record CallTimings(Duration upload, Duration analyze, Duration refine, Duration download, Duration total,
    int attempts, int containerRestarts) {}
