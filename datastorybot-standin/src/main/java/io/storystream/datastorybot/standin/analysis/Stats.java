package io.storystream.datastorybot.standin.analysis;

import java.util.Arrays;

/** Small numeric helpers shared by the profiler and the story finder. */
final class Stats {
  private Stats() {}

  /** Quantile of sorted values, linear interpolation between closest ranks (R type 7, NumPy's default). */
  static double quantile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double pos = q * (sorted.length - 1);
    int lower = (int) Math.floor(pos);
    int upper = Math.min(sorted.length - 1, lower + 1);
    return sorted[lower] + (pos - lower) * (sorted[upper] - sorted[lower]);
  }

  static double[] presentSorted(double[] values) {
    double[] present = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
    Arrays.sort(present);
    return present;
  }

  /** Pearson correlation over rows where both are present; NaN when fewer than 3 pairs or no variance. */
  static double pearson(double[] x, double[] y) {
    long n = 0;
    double sx = 0;
    double sy = 0;
    for (int i = 0; i < x.length; i++) {
      if (!Double.isNaN(x[i]) && !Double.isNaN(y[i])) {
        n++;
        sx += x[i];
        sy += y[i];
      }
    }
    if (n < 3) {
      return Double.NaN;
    }
    double mx = sx / n;
    double my = sy / n;
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < x.length; i++) {
      if (!Double.isNaN(x[i]) && !Double.isNaN(y[i])) {
        double dx = x[i] - mx;
        double dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
      }
    }
    if (sxx == 0 || syy == 0) {
      return Double.NaN;
    }
    return sxy / Math.sqrt(sxx * syy);
  }
}
