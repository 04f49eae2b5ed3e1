package dev.inferscope.testkit;

import dev.inferscope.testkit.triton.TritonSimulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A model served by the {@link dev.inferscope.testkit.triton.TritonSimulator}: its signature and how it behaves under load. Ordinary
 * models echo each input back as {@code OUTPUT<i>} after the compute time; decoupled LLM models are shaped
 * like Triton's vLLM backend ({@code text_input}, {@code stream}, {@code sampling_parameters} in;
 * {@code text_output}, {@code finish_reason}, token counts out). Immutable.
 */
public final class SimulatedModel {
  /** One tensor of the signature. */
  public record Tensor(String name, String datatype, List<Long> shape) {}

  private final String name;
  private final String version;
  private final List<Tensor> inputs;
  private final Duration computeTime;
  private final int instances;
  private final int maxQueueSize;
  private final Duration queueTimeout;
  private final int maxBatchSize;
  private final Duration maxQueueDelay;
  private final boolean decoupledLlm;
  private final Duration timeToFirstToken;
  private final Duration interTokenGap;
  private final int tokens;
  private final Duration computeJitter;
  private final double errorRate;
  private final double spikeRate;
  private final Duration spike;
  private final long seed;
  private final boolean trtLlmMetrics;

  private SimulatedModel(Builder b) {
    this.computeJitter = b.computeJitter;
    this.errorRate = b.errorRate;
    this.spikeRate = b.spikeRate;
    this.spike = b.spike;
    this.seed = b.seed;
    this.name = b.name;
    this.version = b.version;
    this.inputs = List.copyOf(b.inputs);
    this.computeTime = b.computeTime;
    this.instances = b.instances;
    this.maxQueueSize = b.maxQueueSize;
    this.queueTimeout = b.queueTimeout;
    this.maxBatchSize = b.maxBatchSize;
    this.maxQueueDelay = b.maxQueueDelay;
    this.decoupledLlm = b.decoupledLlm;
    this.timeToFirstToken = b.timeToFirstToken;
    this.interTokenGap = b.interTokenGap;
    this.tokens = b.tokens;
    this.trtLlmMetrics = b.trtLlmMetrics;
  }

  /**
   * Whether this model publishes the TensorRT-LLM backend's request gauges
   * ({@code nv_trt_llm_request_metrics}); its waiting requests then show there, and Triton's own
   * {@code nv_inference_pending_request_count} stays 0 as it does for TensorRT-LLM models (the backend
   * queues requests itself).
   */
  public boolean trtLlmMetrics() {
    return trtLlmMetrics;
  }

  /** A builder for a model called {@code name}, version 1. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A decoupled LLM model shaped like Triton's vLLM backend. */
  public static Builder llm(String name) {
    Builder b = new Builder(name);
    b.decoupledLlm = true;
    b.inputs.add(new Tensor("text_input", "BYTES", List.of(1L)));
    b.inputs.add(new Tensor("stream", "BOOL", List.of(1L)));
    b.inputs.add(new Tensor("sampling_parameters", "BYTES", List.of(1L)));
    return b;
  }

  public String name() {
    return name;
  }

  public String version() {
    return version;
  }

  public List<Tensor> inputs() {
    return inputs;
  }

  public Duration computeTime() {
    return computeTime;
  }

  public int instances() {
    return instances;
  }

  public int maxQueueSize() {
    return maxQueueSize;
  }

  public Duration queueTimeout() {
    return queueTimeout;
  }

  public int maxBatchSize() {
    return maxBatchSize;
  }

  /** Dynamic batcher: how long a batch waits for more requests before it executes. */
  public Duration maxQueueDelay() {
    return maxQueueDelay;
  }

  public boolean decoupledLlm() {
    return decoupledLlm;
  }

  public Duration timeToFirstToken() {
    return timeToFirstToken;
  }

  public Duration interTokenGap() {
    return interTokenGap;
  }

  public int tokens() {
    return tokens;
  }

  /** Compute time varies uniformly within ± this. */
  public Duration computeJitter() {
    return computeJitter;
  }

  /** Share of requests that fail with INTERNAL. */
  public double errorRate() {
    return errorRate;
  }

  /** Share of requests that take an extra {@link #spike()}. */
  public double spikeRate() {
    return spikeRate;
  }

  public Duration spike() {
    return spike;
  }

  /** Seed of the random draws (jitter, errors, spikes). */
  public long seed() {
    return seed;
  }

  /** Builds a {@link SimulatedModel}. */
  public static final class Builder {
    private final String name;
    private String version = "1";
    private final List<Tensor> inputs = new ArrayList<>();
    private Duration computeTime = Duration.ofMillis(1);
    private int instances = 1;
    private int maxQueueSize = 0;
    private Duration queueTimeout = Duration.ZERO;
    private int maxBatchSize = 0;
    private Duration maxQueueDelay = Duration.ZERO;
    private boolean decoupledLlm;
    private Duration timeToFirstToken = Duration.ofMillis(20);
    private Duration interTokenGap = Duration.ofMillis(5);
    private int tokens = 8;
    private Duration computeJitter = Duration.ZERO;
    private double errorRate;
    private double spikeRate;
    private Duration spike = Duration.ZERO;
    private long seed = 42;
    private boolean trtLlmMetrics;

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    public Builder version(String version) {
      this.version = version;
      return this;
    }

    /** An input tensor; -1 marks a variable dimension. */
    public Builder input(String name, String datatype, long... shape) {
      List<Long> s = new ArrayList<>();
      for (long d : shape) {
        s.add(d);
      }
      inputs.add(new Tensor(name, datatype, s));
      return this;
    }

    /** How long one execution takes on one instance. */
    public Builder computeTime(Duration computeTime) {
      this.computeTime = computeTime;
      return this;
    }

    /** Model instances executing in parallel. */
    public Builder instances(int instances) {
      this.instances = instances;
      return this;
    }

    /** Requests allowed to wait; beyond that UNAVAILABLE "Exceeds maximum queue size" (0 = unbounded). */
    public Builder maxQueueSize(int maxQueueSize) {
      this.maxQueueSize = maxQueueSize;
      return this;
    }

    /** A request waiting longer fails with UNAVAILABLE "Request timeout expired" (0 = none). */
    public Builder queueTimeout(Duration queueTimeout) {
      this.queueTimeout = queueTimeout;
      return this;
    }

    public Builder maxBatchSize(int maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
      return this;
    }

    /**
     * A dynamic batcher: requests arriving while a batch forms join it (up to {@code maxBatchSize}), the
     * batch waits at most {@code maxQueueDelay} for them, then executes once for all.
     */
    public Builder dynamicBatching(int maxBatchSize, Duration maxQueueDelay) {
      this.maxBatchSize = maxBatchSize;
      this.maxQueueDelay = maxQueueDelay;
      return this;
    }

    /** Decoupled LLM models: time to first token, gap and number of tokens. */
    public Builder generation(Duration timeToFirstToken, Duration interTokenGap, int tokens) {
      this.timeToFirstToken = timeToFirstToken;
      this.interTokenGap = interTokenGap;
      this.tokens = tokens;
      return this;
    }

    /** Compute time uniformly distributed in computeTime ± jitter (seeded). */
    public Builder computeJitter(Duration jitter) {
      this.computeJitter = jitter;
      return this;
    }

    /** Fail this share of requests with INTERNAL "simulated failure". */
    public Builder errorRate(double rate) {
      this.errorRate = rate;
      return this;
    }

    /** Add {@code extra} compute to this share of requests (latency spikes). */
    public Builder latencySpikes(double rate, Duration extra) {
      this.spikeRate = rate;
      this.spike = extra;
      return this;
    }

    /** Seed of the random draws. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Publish the TensorRT-LLM backend's request gauges instead of a pending count (see {@link #trtLlmMetrics()}). */
    public Builder trtLlmMetrics(boolean on) {
      this.trtLlmMetrics = on;
      return this;
    }

    public SimulatedModel build() {
      return new SimulatedModel(this);
    }
  }
}
