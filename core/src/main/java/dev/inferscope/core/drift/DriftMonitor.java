package dev.inferscope.core.drift;

import dev.inferscope.core.LogPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Watches the distributions of what each model is asked (features) and answers (confidence, class)
 * against a reference, with bounded memory whatever the traffic: per feature a reference of at most
 * {@link Builder#referenceSize} values (the first ones seen, unless {@link #setReference set}) and a
 * sliding window of the last {@link Builder#windowSize} values; categorical features keep at most 64
 * categories (the rest count as {@code __other__}).
 *
 * <p>The hook for clients: {@link #observe}, {@link #observeCategory}, {@link #observePrediction}.
 * Values are never logged, traced or tagged; only scores, model and feature names are. Gauges
 * {@code inference.drift.psi|ks|ks_pvalue|js} (model, feature), counter
 * {@code inference.prediction.low_confidence} and summary {@code inference.prediction.confidence}
 * (model) after {@link #bindTo}. {@link #evaluate()} logs one {@code drift} event on
 * {@code dev.inferscope.requests} when a PSI crosses the threshold. Thread-safe.
 */
public final class DriftMonitor {
  private static final Logger LOG = LoggerFactory.getLogger(LogPolicy.DEFAULT_LOGGER);
  private static final JsonFactory JSON = new JsonFactory();
  static final int MAX_CATEGORIES = 64;
  static final String OTHER = "__other__";

  private final int windowSize;
  private final int referenceSize;
  private final int bins;
  private final double epsilon;
  private final double psiThreshold;
  private final double lowConfidence;
  private final Map<String, Feature> features = new ConcurrentHashMap<>();
  private final Map<String, Boolean> drifting = new ConcurrentHashMap<>();
  private volatile @Nullable MeterRegistry registry;

  private DriftMonitor(Builder b) {
    this.windowSize = b.windowSize;
    this.referenceSize = b.referenceSize;
    this.bins = b.bins;
    this.epsilon = b.epsilon;
    this.psiThreshold = b.psiThreshold;
    this.lowConfidence = b.lowConfidence;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A numeric feature value of one request. */
  public void observe(String model, String feature, double value) {
    if (Double.isNaN(value)) {
      return;
    }
    numeric(model, feature).add(value);
  }

  /** A categorical feature value of one request. */
  public void observeCategory(String model, String feature, String value) {
    categorical(model, feature).add(value);
  }

  /** A prediction: its confidence (0..1) and class; low-confidence predictions are counted. */
  public void observePrediction(String model, double confidence, @Nullable String label) {
    observe(model, "confidence", confidence);
    if (label != null) {
      observeCategory(model, "class", label);
    }
    MeterRegistry reg = registry;
    if (reg != null) {
      DistributionSummary.builder("inference.prediction.confidence").tag("model", model)
          .description("Prediction confidence").register(reg).record(confidence);
      if (confidence < lowConfidence) {
        Counter.builder("inference.prediction.low_confidence").tag("model", model)
            .description("Predictions below the low-confidence threshold").register(reg).increment();
      }
    }
  }

  /** Replaces the reference of a numeric feature with a fixed baseline (at most referenceSize values kept). */
  public void setReference(String model, String feature, double[] baseline) {
    NumericFeature f = numeric(model, feature);
    f.setReference(baseline);
  }

  /** Freezes the current window as the reference (a "past window" baseline). */
  public void freezeCurrentAsReference(String model, String feature) {
    Feature f = features.get(key(model, feature));
    if (f != null) {
      f.freezeCurrent();
    }
  }

  /** The scores of one feature now; all NaN when unknown. */
  public DriftScores scores(String model, String feature) {
    Feature f = features.get(key(model, feature));
    return f == null ? new DriftScores(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0) : f.scores();
  }

  /** Checks every feature against the PSI threshold and logs a drift event for each new crossing. */
  public Map<String, DriftScores> evaluate() {
    Map<String, DriftScores> out = new LinkedHashMap<>();
    features.forEach((k, f) -> {
      DriftScores s = f.scores();
      out.put(k.replace('\u0000', '/'), s);
      boolean over = !Double.isNaN(s.psi()) && s.psi() > psiThreshold;
      Boolean was = drifting.put(k, over);
      if (over && !Boolean.TRUE.equals(was)) {
        logDrift(f.model, f.name, s);
      }
    });
    return out;
  }

  private void logDrift(String model, String feature, DriftScores s) {
    if (!LOG.isWarnEnabled()) {
      return;
    }
    StringWriter w = new StringWriter(160);
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), w)) {
      g.writeStartObject();
      g.writeStringProperty("timestamp", java.time.Instant.now().toString());
      g.writeStringProperty("event", "drift");
      g.writeStringProperty("model", model);
      g.writeStringProperty("feature", feature);
      g.writeStringProperty("metric", "psi");
      g.writeNumberProperty("score", s.psi());
      g.writeNumberProperty("threshold", psiThreshold);
      g.writeEndObject();
    }
    LOG.atWarn().setMessage(w.toString()).addKeyValue("event", "drift").addKeyValue("model", model)
        .addKeyValue("feature", feature).log();
  }

  /** Registers the drift gauges (for features seen so far and every later one). */
  public void bindTo(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    features.values().forEach(f -> register(registry, f));
  }

  private void register(MeterRegistry reg, Feature f) {
    Gauge.builder("inference.drift.psi", f, x -> x.scores().psi()).tags("model", f.model, "feature", f.name)
        .description("Population stability index of the current window against the reference").register(reg);
    Gauge.builder("inference.drift.ks", f, x -> x.scores().ks()).tags("model", f.model, "feature", f.name)
        .description("Two-sample Kolmogorov-Smirnov statistic").register(reg);
    Gauge.builder("inference.drift.ks_pvalue", f, x -> x.scores().ksPValue()).tags("model", f.model, "feature", f.name)
        .description("Asymptotic p-value of the KS statistic").register(reg);
    Gauge.builder("inference.drift.js", f, x -> x.scores().js()).tags("model", f.model, "feature", f.name)
        .description("Jensen-Shannon divergence (bits)").register(reg);
  }

  private static String key(String model, String feature) {
    return model + "\u0000" + feature;
  }

  private NumericFeature numeric(String model, String feature) {
    Feature f = features.get(key(model, feature));
    if (f == null) {
      f = features.computeIfAbsent(key(model, feature), k -> {
        Feature nf = new NumericFeature(model, feature);
        MeterRegistry reg = registry;
        if (reg != null) {
          register(reg, nf);
        }
        return nf;
      });
    }
    if (!(f instanceof NumericFeature n)) {
      throw new IllegalArgumentException("feature " + feature + " of " + model + " is categorical");
    }
    return n;
  }

  private CategoricalFeature categorical(String model, String feature) {
    Feature f = features.get(key(model, feature));
    if (f == null) {
      f = features.computeIfAbsent(key(model, feature), k -> {
        Feature cf = new CategoricalFeature(model, feature);
        MeterRegistry reg = registry;
        if (reg != null) {
          register(reg, cf);
        }
        return cf;
      });
    }
    if (!(f instanceof CategoricalFeature c)) {
      throw new IllegalArgumentException("feature " + feature + " of " + model + " is numeric");
    }
    return c;
  }

  /** Memory held by one feature, in values (for tests of boundedness). */
  int retainedValues(String model, String feature) {
    Feature f = features.get(key(model, feature));
    return f == null ? 0 : f.retained();
  }

  private abstract static class Feature {
    final String model;
    final String name;

    Feature(String model, String name) {
      this.model = model;
      this.name = name;
    }

    abstract DriftScores scores();

    abstract void freezeCurrent();

    abstract int retained();
  }

  private final class NumericFeature extends Feature {
    private double[] reference = new double[0];
    private int referenceCount;
    private boolean referenceFixed;
    private final double[] window = new double[windowSize];
    private int windowCount;
    private int next;
    private @Nullable DriftScores cached;

    NumericFeature(String model, String name) {
      super(model, name);
    }

    synchronized void add(double v) {
      cached = null;
      if (!referenceFixed && referenceCount < referenceSize) {
        if (reference.length == referenceCount) {
          reference = java.util.Arrays.copyOf(reference, Math.min(referenceSize, Math.max(16, referenceCount * 2)));
        }
        reference[referenceCount++] = v;
        if (referenceCount == referenceSize) {
          referenceFixed = true;
        }
        return;
      }
      window[next] = v;
      next = (next + 1) % windowSize;
      windowCount = Math.min(windowCount + 1, windowSize);
    }

    synchronized void setReference(double[] baseline) {
      int n = Math.min(baseline.length, referenceSize);
      reference = java.util.Arrays.copyOf(baseline, n);
      referenceCount = n;
      referenceFixed = true;
      cached = null;
    }

    @Override
    synchronized void freezeCurrent() {
      reference = current();
      referenceCount = reference.length;
      referenceFixed = true;
      windowCount = 0;
      next = 0;
      cached = null;
    }

    private double[] current() {
      return java.util.Arrays.copyOf(window, windowCount);
    }

    @Override
    synchronized DriftScores scores() {
      if (cached != null) {
        return cached;
      }
      double[] ref = java.util.Arrays.copyOf(reference, referenceCount);
      double[] cur = current();
      double d = DriftStatistics.ks(ref, cur);
      cached = new DriftScores(DriftStatistics.psi(ref, cur, bins, epsilon), d,
          DriftStatistics.ksPValue(d, ref.length, cur.length), DriftStatistics.js(ref, cur, bins), ref.length,
          cur.length);
      return cached;
    }

    @Override
    synchronized int retained() {
      return reference.length + window.length;
    }
  }

  private final class CategoricalFeature extends Feature {
    private final Map<String, Long> reference = new LinkedHashMap<>();
    private long referenceCount;
    private final String[] window = new String[windowSize];
    private final Map<String, Long> windowCounts = new java.util.HashMap<>();
    private int windowCount;
    private int next;

    CategoricalFeature(String model, String name) {
      super(model, name);
    }

    synchronized void add(String raw) {
      String v = raw;
      if (referenceCount < referenceSize) {
        if (!reference.containsKey(v) && reference.size() >= MAX_CATEGORIES) {
          v = OTHER;
        }
        reference.merge(v, 1L, Long::sum);
        referenceCount++;
        return;
      }
      if (!reference.containsKey(v) && !windowCounts.containsKey(v) && windowCounts.size() >= MAX_CATEGORIES) {
        v = OTHER;
      }
      if (windowCount == windowSize) {
        String evicted = window[next];
        windowCounts.computeIfPresent(evicted, (k, c) -> c == 1 ? null : c - 1);
      }
      window[next] = v;
      windowCounts.merge(v, 1L, Long::sum);
      next = (next + 1) % windowSize;
      windowCount = Math.min(windowCount + 1, windowSize);
    }

    private Map<String, Long> current() {
      return new LinkedHashMap<>(windowCounts);
    }

    @Override
    synchronized void freezeCurrent() {
      reference.clear();
      reference.putAll(current());
      referenceCount = referenceSize;
      windowCount = 0;
      next = 0;
      windowCounts.clear();
    }

    @Override
    synchronized DriftScores scores() {
      Map<String, Long> cur = current();
      return new DriftScores(DriftStatistics.psi(reference, cur, epsilon), Double.NaN, Double.NaN,
          DriftStatistics.js(reference, cur), (int) referenceCount, windowCount);
    }

    @Override
    synchronized int retained() {
      return reference.size() + window.length + windowCounts.size();
    }
  }

  /** Builds a {@link DriftMonitor}. */
  public static final class Builder {
    private int windowSize = 1000;
    private int referenceSize = 1000;
    private int bins = 10;
    private double epsilon = 1e-4;
    private double psiThreshold = 0.2;
    private double lowConfidence = 0.5;

    private Builder() {}

    /** Values in the sliding current window (default 1000). */
    public Builder windowSize(int n) {
      this.windowSize = n;
      return this;
    }

    /** Values kept as the reference (default 1000). */
    public Builder referenceSize(int n) {
      this.referenceSize = n;
      return this;
    }

    /** PSI and JS bins for numeric features (default 10). */
    public Builder bins(int bins) {
      this.bins = bins;
      return this;
    }

    /** The proportion given to empty bins in PSI (default 1e-4). */
    public Builder epsilon(double epsilon) {
      this.epsilon = epsilon;
      return this;
    }

    /** PSI above this is drift (default 0.2). */
    public Builder psiThreshold(double threshold) {
      this.psiThreshold = threshold;
      return this;
    }

    /** Confidence below this is low (default 0.5). */
    public Builder lowConfidenceThreshold(double threshold) {
      this.lowConfidence = threshold;
      return this;
    }

    public DriftMonitor build() {
      return new DriftMonitor(this);
    }
  }
}
