package dev.inferscope.spring;

import dev.inferscope.core.CallListener;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.Outcome;
import dev.inferscope.core.Phase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * A {@link CallListener} that keeps, per endpoint and model, a bounded window of the most recent
 * inference calls (by default {@code infer}, {@code generate}, {@code chat}, {@code text_completion} and
 * {@code embeddings}: readiness probes and metadata calls would distort the percentiles)
 * with their total duration and every phase, and the last few slow calls, for the {@code inference} actuator
 * endpoint and the {@code inference} health contributor. Holds no payload: only durations, outcomes,
 * error types, token counts and trace ids.
 *
 * <p>Thread-safe. Recording a call costs one short critical section per endpoint and model; reading a
 * snapshot copies and sorts the window.
 */
public final class InferenceStats implements CallListener {
  private static final Phase[] PHASES = Phase.values();

  /** The inference operations the windows count by default (not health probes or metadata calls). */
  public static final Set<String> INFERENCE_OPERATIONS =
      Set.of("infer", "generate", "chat", "text_completion", "embeddings");

  private final int windowSize;
  private final int slowCallCapacity;
  private final Set<String> operations;
  private final long slowThresholdNanos;
  private final InferenceClock clock;
  private final ConcurrentMap<Key, Window> windows = new ConcurrentHashMap<>();
  private final ArrayDeque<SlowCall> slowCalls = new ArrayDeque<>();

  /**
   * Creates the statistics.
   *
   * @param windowSize how many recent calls per endpoint and model are kept
   * @param slowCalls how many recent slow calls are kept
   * @param slowThreshold a call at least this slow is kept as a slow call
   * @param clock the clock ({@link InferenceClock#epochNanos()} dates the windows' entries)
   * @param operations the operations counted (e.g. {@code infer}, {@code chat}); empty counts every call,
   *     health probes and metadata calls included
   */
  public InferenceStats(int windowSize, int slowCalls, Duration slowThreshold, InferenceClock clock,
      Set<String> operations) {
    if (windowSize < 1) {
      throw new IllegalArgumentException("windowSize must be at least 1");
    }
    if (slowCalls < 0) {
      throw new IllegalArgumentException("slowCalls must not be negative");
    }
    this.windowSize = windowSize;
    this.slowCallCapacity = slowCalls;
    this.slowThresholdNanos = Math.max(0, slowThreshold.toNanos());
    this.clock = Objects.requireNonNull(clock, "clock");
    this.operations = Set.copyOf(operations);
  }

  /** Statistics of the {@linkplain #INFERENCE_OPERATIONS inference operations} on {@code clock}. */
  public InferenceStats(int windowSize, int slowCalls, Duration slowThreshold, InferenceClock clock) {
    this(windowSize, slowCalls, slowThreshold, clock, INFERENCE_OPERATIONS);
  }

  /** Statistics of the {@linkplain #INFERENCE_OPERATIONS inference operations} on the system clock. */
  public InferenceStats(int windowSize, int slowCalls, Duration slowThreshold) {
    this(windowSize, slowCalls, slowThreshold, InferenceClock.system());
  }

  @Override
  public void onCallEnd(CallRecord record) {
    var d = record.descriptor();
    if (!operations.isEmpty() && !operations.contains(d.operation())) {
      return;
    }
    Key key = new Key(d.endpoint(), d.model());
    Window w = windows.get(key);
    if (w == null) {
      w = windows.computeIfAbsent(key, k -> new Window(windowSize, d.system().value()));
    }
    w.add(record);
    if (slowCallCapacity > 0 && record.durationNanos() >= slowThresholdNanos) {
      SlowCall slow = SlowCall.of(record);
      synchronized (slowCalls) {
        if (slowCalls.size() >= slowCallCapacity) {
          slowCalls.removeFirst();
        }
        slowCalls.addLast(slow);
      }
    }
  }

  /** Snapshots of every endpoint and model seen so far, sorted by endpoint then model. */
  public List<ModelStats> snapshot() {
    return snapshot(null);
  }

  /**
   * Snapshots of every endpoint and model, counting only calls that ended within {@code maxAge} (all
   * calls in the window when {@code null}).
   */
  public List<ModelStats> snapshot(@Nullable Duration maxAge) {
    long since = maxAge == null ? Long.MIN_VALUE : clock.epochNanos() - maxAge.toNanos();
    List<ModelStats> out = new ArrayList<>(windows.size());
    for (Map.Entry<Key, Window> e : windows.entrySet()) {
      out.add(e.getValue().snapshot(e.getKey(), since));
    }
    out.sort((a, b) -> {
      int c = a.endpoint().compareTo(b.endpoint());
      return c != 0 ? c : a.model().compareTo(b.model());
    });
    return out;
  }

  /** The most recent slow calls, oldest first. */
  public List<SlowCall> slowCalls() {
    synchronized (slowCalls) {
      return List.copyOf(slowCalls);
    }
  }

  /** Forgets everything (tests, or after a deployment). */
  public void reset() {
    windows.clear();
    synchronized (slowCalls) {
      slowCalls.clear();
    }
  }

  /** The window size per endpoint and model. */
  public int windowSize() {
    return windowSize;
  }

  private record Key(String endpoint, String model) {}

  /**
   * Percentiles of one duration over a window.
   *
   * @param count how many calls had this duration
   * @param p50Millis the median in milliseconds
   * @param p99Millis the 99th percentile in milliseconds
   * @param maxMillis the maximum in milliseconds
   */
  public record Percentiles(int count, double p50Millis, double p99Millis, double maxMillis) {
    static @Nullable Percentiles of(long[] values, int n) {
      if (n == 0) {
        return null;
      }
      Arrays.sort(values, 0, n);
      return new Percentiles(n, millis(values[rank(0.50, n)]), millis(values[rank(0.99, n)]),
          millis(values[n - 1]));
    }

    private static int rank(double q, int n) {
      // nearest-rank percentile
      int r = (int) Math.ceil(q * n) - 1;
      return Math.max(0, Math.min(n - 1, r));
    }
  }

  /**
   * The statistics of one endpoint and model over its window.
   *
   * @param endpoint the endpoint name
   * @param model the model name
   * @param system {@code triton}, {@code vllm} or {@code openai}
   * @param totalCalls calls ended since start (not only those in the window)
   * @param totalErrors failed calls since start
   * @param windowCalls calls in the window (within the age limit, if any)
   * @param windowErrors failed calls in the window
   * @param errorTypes failures in the window by error type
   * @param total percentiles of the total duration, or {@code null} when the window is empty
   * @param phases percentiles of each phase that was measured in the window
   * @param lastCallEpochMillis when the latest call ended, epoch milliseconds
   */
  public record ModelStats(
      String endpoint,
      String model,
      String system,
      long totalCalls,
      long totalErrors,
      int windowCalls,
      int windowErrors,
      Map<String, Integer> errorTypes,
      @Nullable Percentiles total,
      Map<Phase, Percentiles> phases,
      long lastCallEpochMillis) {

    /** Percentiles of one phase, or {@code null} when it was not measured in the window. */
    public @Nullable Percentiles phase(Phase phase) {
      return phases.get(phase);
    }
  }

  /**
   * One slow call, without payload.
   *
   * @param endedAt when it ended
   * @param endpoint the endpoint name
   * @param model the model name
   * @param operation the operation ({@code infer}, {@code chat}, ...)
   * @param outcome {@code success}, {@code error} or {@code cancelled}
   * @param errorType the error type's tag value, or {@code null} on success
   * @param durationMs the total duration in milliseconds
   * @param phasesMs every measured phase in milliseconds, by phase key
   * @param attempts attempts made
   * @param traceId the trace id when the span was sampled, else {@code null}
   */
  public record SlowCall(
      Instant endedAt,
      String endpoint,
      String model,
      String operation,
      String outcome,
      @Nullable String errorType,
      double durationMs,
      Map<String, Double> phasesMs,
      int attempts,
      @Nullable String traceId) {

    static SlowCall of(CallRecord r) {
      Map<String, Double> phases = new LinkedHashMap<>();
      for (Map.Entry<Phase, Long> e : r.phaseNanos().entrySet()) {
        phases.put(e.getKey().key(), millis(e.getValue()));
      }
      ErrorType et = r.errorType();
      long end = r.endEpochNanos();
      return new SlowCall(Instant.ofEpochSecond(Math.floorDiv(end, 1_000_000_000L), Math.floorMod(end, 1_000_000_000L)),
          r.descriptor().endpoint(), r.descriptor().model(), r.descriptor().operation(), r.outcome().value(),
          et == null ? null : et.tagValue(), millis(r.durationNanos()), Collections.unmodifiableMap(phases),
          r.attempts(), r.traceId());
    }
  }

  static double millis(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }

  /** A ring buffer of the latest calls of one endpoint and model. */
  private static final class Window {
    private final String system;
    private final long[] ended;
    private final long[] total;
    private final byte[] errorType; // ErrorType ordinal + 1, 0 when none
    private final long[][] phases; // [phase][slot], -1 when not measured
    private int next;
    private int size;
    private long totalCalls;
    private long totalErrors;
    private long lastEnded;

    Window(int capacity, String system) {
      this.system = system;
      this.ended = new long[capacity];
      this.total = new long[capacity];
      this.errorType = new byte[capacity];
      this.phases = new long[PHASES.length][capacity];
    }

    synchronized void add(CallRecord r) {
      int i = next;
      ended[i] = r.endEpochNanos();
      total[i] = r.durationNanos();
      ErrorType et = r.errorType();
      boolean failed = r.outcome() == Outcome.ERROR;
      errorType[i] = (byte) (failed && et != null ? et.ordinal() + 1 : failed ? -1 : 0);
      Map<Phase, Long> p = r.phaseNanos();
      for (Phase phase : PHASES) {
        Long v = p.get(phase);
        phases[phase.ordinal()][i] = v == null ? -1 : v;
      }
      next = (i + 1) % ended.length;
      if (size < ended.length) {
        size++;
      }
      totalCalls++;
      if (failed) {
        totalErrors++;
      }
      lastEnded = Math.max(lastEnded, r.endEpochNanos());
    }

    ModelStats snapshot(Key key, long since) {
      long[] totals;
      long[][] ph;
      byte[] errs;
      int n = 0;
      long calls;
      long errors;
      long last;
      synchronized (this) {
        totals = new long[size];
        ph = new long[PHASES.length][size];
        errs = new byte[size];
        for (int k = 0; k < size; k++) {
          if (ended[k] < since) {
            continue;
          }
          totals[n] = total[k];
          errs[n] = errorType[k];
          for (int p = 0; p < PHASES.length; p++) {
            ph[p][n] = phases[p][k];
          }
          n++;
        }
        calls = totalCalls;
        errors = totalErrors;
        last = lastEnded;
      }
      int windowErrors = 0;
      Map<String, Integer> byType = new LinkedHashMap<>();
      ErrorType[] types = ErrorType.values();
      for (int k = 0; k < n; k++) {
        if (errs[k] != 0) {
          windowErrors++;
          String t = errs[k] > 0 ? types[errs[k] - 1].tagValue() : "unknown";
          byType.merge(t, 1, Integer::sum);
        }
      }
      Map<Phase, Percentiles> phaseStats = new EnumMap<>(Phase.class);
      for (int p = 0; p < PHASES.length; p++) {
        long[] values = ph[p];
        int m = 0;
        for (int k = 0; k < n; k++) {
          if (values[k] >= 0) {
            values[m++] = values[k];
          }
        }
        Percentiles pc = Percentiles.of(values, m);
        if (pc != null) {
          phaseStats.put(PHASES[p], pc);
        }
      }
      return new ModelStats(key.endpoint(), key.model(), system, calls, errors, n, windowErrors,
          Collections.unmodifiableMap(byType), Percentiles.of(totals, n), Collections.unmodifiableMap(phaseStats),
          last / 1_000_000L);
    }
  }
}
