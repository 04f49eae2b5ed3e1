package dev.inferscope.examples.quickstart;

import dev.inferscope.core.CallListener;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.Outcome;
import dev.inferscope.core.Phase;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Collects every ended call (a {@link CallListener}) and prints, per model, p50/p99 of the total
 * duration and of its split: client queue, serialization + deserialization, network, server queue,
 * server compute and, for LLM calls, time to first token and the per-token gap. Only durations are
 * kept; no payload.
 */
final class Breakdown implements CallListener {
  private final Map<String, ModelCalls> models = new TreeMap<>();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final Map<String, Long> errorTypes = new TreeMap<>();
  private volatile GpuSnapshot lastGpu;

  private volatile boolean counting = true;

  /** Whether ended calls are counted (off during the warm-up). */
  void counting(boolean on) {
    this.counting = on;
  }

  @Override
  public void onCallEnd(CallRecord r) {
    if (!counting) {
      return;
    }
    if (r.outcome() == Outcome.SUCCESS) {
      ok.incrementAndGet();
    } else {
      failed.incrementAndGet();
    }
    if (r.gpu() != null) {
      lastGpu = r.gpu();
    }
    String key = r.descriptor().model();
    synchronized (this) {
      models.computeIfAbsent(key, k -> new ModelCalls(r.descriptor().system().value(), r.descriptor().endpoint()))
          .add(r);
      if (r.errorType() != null) {
        errorTypes.merge(r.errorType().tagValue(), 1L, Long::sum);
      }
    }
  }

  /** Calls that succeeded so far. */
  long succeeded() {
    return ok.get();
  }

  /** Calls that failed or were cancelled so far. */
  long failed() {
    return failed.get();
  }

  /** The GPU snapshot attached to the latest call that had one, or {@code null}. */
  GpuSnapshot lastGpu() {
    return lastGpu;
  }

  /** Failures by error type. */
  synchronized Map<String, Long> errorTypes() {
    return new TreeMap<>(errorTypes);
  }

  /** The server queue's share of the total time of a model's successful calls, 0..1, or NaN. */
  synchronized double serverQueueShare(String model) {
    ModelCalls m = models.get(model);
    return m == null ? Double.NaN : m.queueShare();
  }

  /** p50 or p99 of a column of a model in milliseconds, or NaN (for tests and callers). */
  synchronized double percentile(String model, Column column, double q) {
    ModelCalls m = models.get(model);
    return m == null ? Double.NaN : m.percentile(column, q);
  }

  /** The columns of the table. */
  enum Column {
    TOTAL("total"),
    CLIENT_QUEUE("client q"),
    SERDE("ser+de"),
    NETWORK("network"),
    SERVER_QUEUE("server q"),
    SERVER_COMPUTE("compute"),
    TTFT("ttft"),
    TOKEN_GAP("gap/tok");

    final String title;

    Column(String title) {
      this.title = title;
    }
  }

  /** Renders the table. */
  synchronized String render() {
    StringBuilder sb = new StringBuilder();
    String head = String.format(Locale.ROOT, "%-18s %-6s %6s %4s %3s", "model", "system", "calls", "err", "");
    sb.append(head);
    for (Column c : Column.values()) {
      sb.append(String.format(Locale.ROOT, " %8s", c.title));
    }
    sb.append("  server q share / server timing source\n");
    sb.append("-".repeat(head.length() + 9 * Column.values().length + 40)).append('\n');
    for (Map.Entry<String, ModelCalls> e : models.entrySet()) {
      ModelCalls m = e.getValue();
      for (double q : new double[] {0.50, 0.99}) {
        boolean first = q == 0.50;
        sb.append(String.format(Locale.ROOT, "%-18s %-6s %6s %4s %3s",
            first ? abbreviate(e.getKey(), 18) : "", first ? m.system : "",
            first ? Long.toString(m.count) : "", first ? Long.toString(m.errors) : "",
            first ? "p50" : "p99"));
        for (Column c : Column.values()) {
          double v = m.percentile(c, q);
          sb.append(Double.isNaN(v) ? String.format(Locale.ROOT, " %8s", "-")
              : String.format(Locale.ROOT, " %8.1f", v));
        }
        if (first) {
          double share = m.queueShare();
          sb.append(Double.isNaN(share) ? "  -" : String.format(Locale.ROOT, "  %3.0f %% %-16s", share * 100,
              bar(share)));
        } else {
          sb.append("  ").append(m.sources);
        }
        sb.append('\n');
      }
    }
    sb.append("milliseconds. The partition (client q + ser+de + network + server q + compute) sums to the total;")
        .append(" ttft and gap/tok overlap it.\nserver timing source (calls): response = reported per request (vLLM")
        .append(" per-request metrics; network is then what neither side times: the transport and the server's")
        .append(" HTTP front end); response_compute = compute reported (llama.cpp timings), queue estimated")
        .append(" after the measured round trip;\nstatistics = compute from the server's statistics (Triton's mean per")
        .append(" request, vLLM's /metrics histograms), queue estimated after the measured round trip;")
        .append("\nstatistics_interval = Triton statistics interval averages;")
        .append(" none = no server timing (network holds the server's time).\n");
    return sb.toString();
  }

  private static String bar(double share) {
    int n = (int) Math.round(Math.max(0, Math.min(1, share)) * 16);
    return "#".repeat(n);
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "~";
  }

  /** The calls of one model. */
  private static final class ModelCalls {
    final String system;
    final String endpoint;
    final List<double[]> rows = new ArrayList<>(); // one row of Column values per successful call
    final Map<String, Long> sources = new TreeMap<>();
    long count;
    long errors;
    double queueSum;
    double totalSum;

    ModelCalls(String system, String endpoint) {
      this.system = system;
      this.endpoint = endpoint;
    }

    void add(CallRecord r) {
      count++;
      if (r.outcome() != Outcome.SUCCESS) {
        errors++;
        return;
      }
      sources.merge(r.serverTimingSource().value(), 1L, Long::sum);
      Map<Phase, Long> p = r.phaseNanos();
      double[] row = new double[Column.values().length];
      Arrays.fill(row, Double.NaN);
      row[Column.TOTAL.ordinal()] = ms(r.durationNanos());
      row[Column.CLIENT_QUEUE.ordinal()] = ms(p.getOrDefault(Phase.CLIENT_QUEUE, 0L));
      row[Column.SERDE.ordinal()] = ms(p.getOrDefault(Phase.SERIALIZE, 0L) + p.getOrDefault(Phase.DESERIALIZE, 0L));
      row[Column.NETWORK.ordinal()] = p.containsKey(Phase.NETWORK) ? ms(p.get(Phase.NETWORK)) : Double.NaN;
      row[Column.SERVER_QUEUE.ordinal()] = p.containsKey(Phase.SERVER_QUEUE) ? ms(p.get(Phase.SERVER_QUEUE)) : Double.NaN;
      row[Column.SERVER_COMPUTE.ordinal()] =
          p.containsKey(Phase.SERVER_COMPUTE) ? ms(p.get(Phase.SERVER_COMPUTE)) : Double.NaN;
      if (p.containsKey(Phase.TIME_TO_FIRST_TOKEN)) {
        row[Column.TTFT.ordinal()] = ms(p.get(Phase.TIME_TO_FIRST_TOKEN));
      }
      if (p.containsKey(Phase.DECODE) && r.chunks() > 1) {
        row[Column.TOKEN_GAP.ordinal()] = ms(p.get(Phase.DECODE)) / (r.chunks() - 1);
      }
      rows.add(row);
      if (p.containsKey(Phase.SERVER_QUEUE)) {
        queueSum += ms(p.get(Phase.SERVER_QUEUE));
      }
      totalSum += ms(r.durationNanos());
    }

    double queueShare() {
      return totalSum <= 0 ? Double.NaN : queueSum / totalSum;
    }

    double percentile(Column c, double q) {
      double[] values = new double[rows.size()];
      int n = 0;
      for (double[] row : rows) {
        double v = row[c.ordinal()];
        if (!Double.isNaN(v)) {
          values[n++] = v;
        }
      }
      if (n == 0) {
        return Double.NaN;
      }
      Arrays.sort(values, 0, n);
      int rank = Math.max(0, Math.min(n - 1, (int) Math.ceil(q * n) - 1));
      return values[rank];
    }

    private static double ms(long nanos) {
      return nanos / 1_000_000.0;
    }
  }
}
