package io.storystream.datastorybot.standin.analysis;

/**
 * Per-column profile. min/max/mean/median are numeric for numeric columns and epoch seconds for date columns
 * (NaN otherwise); q1/q3 are the quartiles (linear interpolation between closest ranks).
 */
public record Profile(long count, long nulls, long distinct, double min, double max, double mean, double median,
    double q1, double q3, double sum, double stddev) {}
