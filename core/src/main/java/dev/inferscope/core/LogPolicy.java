package dev.inferscope.core;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Which calls get a JSON log line on the {@value #DEFAULT_LOGGER} logger, and how identities are hashed.
 *
 * <p>A call is logged when it failed, when it was slower than {@link Builder#slowThreshold}, when its
 * prediction confidence was below {@link Builder#lowConfidenceThreshold}, or else with probability
 * {@link Builder#sampleRate} (default 10 %). The log line never holds a payload; there is no setting
 * that adds one. Immutable.
 */
public final class LogPolicy {
  /** The default logger name. */
  public static final String DEFAULT_LOGGER = "dev.inferscope.requests";

  private static final LogPolicy DEFAULTS = builder().build();
  private static final LogPolicy DISABLED = builder().enabled(false).build();

  private final boolean enabled;
  private final double sampleRate;
  private final long slowThresholdNanos;
  private final double lowConfidenceThreshold;
  private final byte @Nullable [] identityKey;
  private final String loggerName;
  private final DoubleSupplier random;
  private final boolean keyValues;

  private LogPolicy(Builder b) {
    this.enabled = b.enabled;
    this.sampleRate = b.sampleRate;
    this.slowThresholdNanos = Deadline.saturatedNanos(b.slowThreshold);
    this.lowConfidenceThreshold = b.lowConfidenceThreshold;
    this.identityKey = b.identityKey == null ? null : b.identityKey.clone();
    this.loggerName = b.loggerName;
    this.random = b.random;
    this.keyValues = b.keyValues;
  }

  /** Enabled, 10 % sampling, slow threshold 1 s, low confidence below 0.5, no identity key. */
  public static LogPolicy defaults() {
    return DEFAULTS;
  }

  /** No log lines at all. */
  public static LogPolicy disabled() {
    return DISABLED;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  public boolean enabled() {
    return enabled;
  }

  public double sampleRate() {
    return sampleRate;
  }

  public Duration slowThreshold() {
    return Duration.ofNanos(slowThresholdNanos);
  }

  long slowThresholdNanos() {
    return slowThresholdNanos;
  }

  public double lowConfidenceThreshold() {
    return lowConfidenceThreshold;
  }

  /** Whether identities can be hashed (a key was configured). */
  public boolean hashesIdentities() {
    return identityKey != null;
  }

  byte @Nullable [] identityKey() {
    return identityKey;
  }

  public String loggerName() {
    return loggerName;
  }

  /** Whether the fields are also attached as SLF4J key-values. */
  public boolean keyValues() {
    return keyValues;
  }

  /**
   * Why a call with these properties would be logged ({@code error}, {@code slow},
   * {@code low_confidence}, {@code rate}), or {@code null} if it is not.
   */
  public @Nullable String sampledBy(boolean error, long durationNanos, double confidence) {
    if (!enabled) {
      return null;
    }
    if (error) {
      return "error";
    }
    if (durationNanos >= slowThresholdNanos) {
      return "slow";
    }
    if (!Double.isNaN(confidence) && confidence < lowConfidenceThreshold) {
      return "low_confidence";
    }
    if (sampleRate >= 1.0 || (sampleRate > 0 && random.getAsDouble() < sampleRate)) {
      return "rate";
    }
    return null;
  }

  @Override
  public String toString() {
    return "LogPolicy[enabled=" + enabled + ", sampleRate=" + sampleRate + ", slowThreshold="
        + slowThreshold() + ", lowConfidenceThreshold=" + lowConfidenceThreshold
        + ", identityKey=" + (identityKey == null ? "none" : "<redacted>") + "]";
  }

  /** Builds a {@link LogPolicy}. */
  public static final class Builder {
    private boolean enabled = true;
    private double sampleRate = 0.1;
    private Duration slowThreshold = Duration.ofSeconds(1);
    private double lowConfidenceThreshold = 0.5;
    private byte @Nullable [] identityKey;
    private String loggerName = DEFAULT_LOGGER;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private boolean keyValues = true;

    private Builder() {}

    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /** Share of ordinary calls that are logged, 0..1. */
    public Builder sampleRate(double sampleRate) {
      if (!(sampleRate >= 0 && sampleRate <= 1)) {
        throw new IllegalArgumentException("sampleRate must be within [0, 1]: " + sampleRate);
      }
      this.sampleRate = sampleRate;
      return this;
    }

    /** Calls at least this slow are always logged. */
    public Builder slowThreshold(Duration slowThreshold) {
      this.slowThreshold = Objects.requireNonNull(slowThreshold, "slowThreshold");
      return this;
    }

    /** Predictions with a confidence below this are always logged. */
    public Builder lowConfidenceThreshold(double threshold) {
      this.lowConfidenceThreshold = threshold;
      return this;
    }

    /**
     * The secret key for HMAC-SHA256 hashing of user ids and client addresses. Without a key those
     * fields are left out entirely.
     */
    public Builder identityKey(byte @Nullable [] key) {
      if (key != null && key.length < 16) {
        throw new IllegalArgumentException("identity key must be at least 16 bytes");
      }
      this.identityKey = key == null ? null : Arrays.copyOf(key, key.length);
      return this;
    }

    public Builder loggerName(String loggerName) {
      this.loggerName = Objects.requireNonNull(loggerName, "loggerName");
      return this;
    }

    /** Whether to attach the fields as SLF4J key-values too (default true). */
    public Builder keyValues(boolean keyValues) {
      this.keyValues = keyValues;
      return this;
    }

    /** The random source for rate sampling (tests). */
    public Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public LogPolicy build() {
      return new LogPolicy(this);
    }
  }
}
