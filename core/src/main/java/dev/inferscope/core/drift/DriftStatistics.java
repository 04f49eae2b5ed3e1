package dev.inferscope.core.drift;

import java.util.Arrays;
import java.util.Map;

/**
 * The drift statistics, as pure functions.
 *
 * <ul>
 *   <li>PSI: bins are cut at the reference's quantiles {@code k/bins} (linear interpolation between
 *       order statistics); a value {@code x} falls in bin {@code i} when {@code edge[i-1] < x <= edge[i]};
 *       empty bins take the proportion {@code epsilon}; {@code PSI = Σ (c - r) ln(c / r)}.
 *   <li>KS: the two-sample statistic {@code D = sup |F_ref(x) - F_cur(x)|} and its asymptotic p-value
 *       {@code Q(sqrt(n m / (n + m)) D)} with Kolmogorov's {@code Q(λ) = 2 Σ (-1)^(k-1) exp(-2 k² λ²)}.
 *   <li>JS: the Jensen-Shannon divergence in bits (log base 2, so within [0, 1]).
 * </ul>
 */
public final class DriftStatistics {
  private DriftStatistics() {}

  /** The {@code q}-quantile of sorted data, linear interpolation between order statistics. */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    double frac = pos - lo;
    return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
  }

  /** Quantile bin edges (bins - 1 of them) of the reference. */
  static double[] edges(double[] reference, int bins) {
    double[] sorted = reference.clone();
    Arrays.sort(sorted);
    double[] edges = new double[bins - 1];
    for (int k = 1; k < bins; k++) {
      edges[k - 1] = quantile(sorted, (double) k / bins);
    }
    return edges;
  }

  /** Proportion of values in each bin. */
  static double[] proportions(double[] values, double[] edges) {
    double[] p = new double[edges.length + 1];
    if (values.length == 0) {
      return p;
    }
    for (double v : values) {
      int i = Arrays.binarySearch(edges, v);
      int bin;
      if (i >= 0) {
        while (i > 0 && edges[i - 1] == v) {
          i--;
        }
        bin = i; // v == edge[i]: belongs to the bin ending at edge i
      } else {
        bin = -i - 1;
      }
      p[bin]++;
    }
    for (int i = 0; i < p.length; i++) {
      p[i] /= values.length;
    }
    return p;
  }

  /** Population stability index of {@code current} against {@code reference}. */
  public static double psi(double[] reference, double[] current, int bins, double epsilon) {
    if (reference.length == 0 || current.length == 0) {
      return Double.NaN;
    }
    double[] e = edges(reference, bins);
    return psi(proportions(reference, e), proportions(current, e), epsilon);
  }

  /** PSI of two proportion vectors. */
  public static double psi(double[] reference, double[] current, double epsilon) {
    double psi = 0;
    for (int i = 0; i < reference.length; i++) {
      double r = Math.max(reference[i], epsilon);
      double c = Math.max(current[i], epsilon);
      psi += (c - r) * Math.log(c / r);
    }
    return psi;
  }

  /** The two-sample Kolmogorov-Smirnov statistic D. */
  public static double ks(double[] a, double[] b) {
    if (a.length == 0 || b.length == 0) {
      return Double.NaN;
    }
    double[] x = a.clone();
    double[] y = b.clone();
    Arrays.sort(x);
    Arrays.sort(y);
    int i = 0;
    int j = 0;
    double d = 0;
    while (i < x.length && j < y.length) {
      double v = Math.min(x[i], y[j]);
      while (i < x.length && x[i] == v) {
        i++;
      }
      while (j < y.length && y[j] == v) {
        j++;
      }
      d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
    }
    return d;
  }

  /** The asymptotic two-sided p-value of D for samples of n and m. */
  public static double ksPValue(double d, int n, int m) {
    if (Double.isNaN(d) || n == 0 || m == 0) {
      return Double.NaN;
    }
    double en = (double) n * m / (n + m);
    return kolmogorovQ(Math.sqrt(en) * d);
  }

  /** Kolmogorov's survival function Q(λ) = P(K > λ). */
  static double kolmogorovQ(double lambda) {
    if (lambda <= 0) {
      return 1;
    }
    if (lambda < 1.18) {
      // small λ: 1 - sqrt(2π)/λ Σ exp(-(2k-1)² π² / (8 λ²)) converges fast
      double sum = 0;
      for (int k = 1; k <= 50; k++) {
        double t = Math.exp(-(2 * k - 1) * (2 * k - 1) * Math.PI * Math.PI / (8 * lambda * lambda));
        sum += t;
        if (t < 1e-17) {
          break;
        }
      }
      return Math.max(0, Math.min(1, 1 - Math.sqrt(2 * Math.PI) / lambda * sum));
    }
    double sum = 0;
    for (int k = 1; k <= 100; k++) {
      double t = Math.exp(-2.0 * k * k * lambda * lambda);
      sum += (k % 2 == 1 ? t : -t);
      if (t < 1e-17) {
        break;
      }
    }
    return Math.max(0, Math.min(1, 2 * sum));
  }

  /** Jensen-Shannon divergence (bits) of two proportion vectors of the same length. */
  public static double js(double[] p, double[] q) {
    double d = 0;
    for (int i = 0; i < p.length; i++) {
      double m = (p[i] + q[i]) / 2;
      if (p[i] > 0) {
        d += 0.5 * p[i] * log2(p[i] / m);
      }
      if (q[i] > 0) {
        d += 0.5 * q[i] * log2(q[i] / m);
      }
    }
    return Math.max(0, d);
  }

  /** Jensen-Shannon divergence of two numeric samples over the reference's quantile bins. */
  public static double js(double[] reference, double[] current, int bins) {
    if (reference.length == 0 || current.length == 0) {
      return Double.NaN;
    }
    double[] e = edges(reference, bins);
    return js(proportions(reference, e), proportions(current, e));
  }

  /** Jensen-Shannon divergence of two categorical count maps. */
  public static double js(Map<String, Long> reference, Map<String, Long> current) {
    double[][] pq = aligned(reference, current);
    return pq == null ? Double.NaN : js(pq[0], pq[1]);
  }

  /** PSI of two categorical count maps (categories as bins). */
  public static double psi(Map<String, Long> reference, Map<String, Long> current, double epsilon) {
    double[][] pq = aligned(reference, current);
    return pq == null ? Double.NaN : psi(pq[0], pq[1], epsilon);
  }

  /** Both count maps as proportion vectors over the union of their categories, or null if one is empty. */
  private static double @org.jspecify.annotations.Nullable [][] aligned(Map<String, Long> reference,
      Map<String, Long> current) {
    java.util.Set<String> keys = new java.util.TreeSet<>(reference.keySet());
    keys.addAll(current.keySet());
    double rt = reference.values().stream().mapToLong(Long::longValue).sum();
    double ct = current.values().stream().mapToLong(Long::longValue).sum();
    if (rt == 0 || ct == 0) {
      return null;
    }
    double[] p = new double[keys.size()];
    double[] q = new double[keys.size()];
    int i = 0;
    for (String k : keys) {
      p[i] = reference.getOrDefault(k, 0L) / rt;
      q[i] = current.getOrDefault(k, 0L) / ct;
      i++;
    }
    return new double[][] {p, q};
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
