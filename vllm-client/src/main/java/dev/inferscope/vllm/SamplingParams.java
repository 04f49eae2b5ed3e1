package dev.inferscope.vllm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Sampling parameters shared by chat and text completions, with a pass-through for vLLM's extra
 * parameters ({@code top_k}, {@code min_p}, {@code repetition_penalty}, ...). Immutable.
 */
public final class SamplingParams {
  private static final SamplingParams DEFAULTS = builder().build();
  private static final Set<String> RESERVED = Set.of("model", "messages", "prompt", "stream", "stream_options",
      "max_tokens", "temperature", "top_p", "stop", "seed", "n", "logprobs");

  private final @Nullable Long maxTokens;
  private final @Nullable Double temperature;
  private final @Nullable Double topP;
  private final List<String> stop;
  private final @Nullable Long seed;
  private final @Nullable Integer n;
  private final @Nullable Integer logprobs;
  private final Map<String, Object> extra;

  private SamplingParams(Builder b) {
    this.maxTokens = b.maxTokens;
    this.temperature = b.temperature;
    this.topP = b.topP;
    this.stop = List.copyOf(b.stop);
    this.seed = b.seed;
    this.n = b.n;
    this.logprobs = b.logprobs;
    this.extra = Map.copyOf(b.extra);
  }

  /** No parameters: the server's defaults. */
  public static SamplingParams defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  public @Nullable Long maxTokens() {
    return maxTokens;
  }

  public @Nullable Double temperature() {
    return temperature;
  }

  public @Nullable Double topP() {
    return topP;
  }

  /** Stop sequences (payload: never recorded). */
  public List<String> stop() {
    return stop;
  }

  public @Nullable Long seed() {
    return seed;
  }

  public @Nullable Integer n() {
    return n;
  }

  public @Nullable Integer logprobs() {
    return logprobs;
  }

  /** Extra parameters passed through as they are (values never recorded). */
  public Map<String, Object> extra() {
    return extra;
  }

  @Override
  public String toString() {
    return "SamplingParams[maxTokens=" + maxTokens + ", temperature=" + temperature + ", topP=" + topP
        + ", stop=<" + stop.size() + ">, seed=" + seed + ", n=" + n + ", logprobs=" + logprobs
        + ", extra=" + extra.keySet() + "]";
  }

  /** Builds {@link SamplingParams}. */
  public static final class Builder {
    private @Nullable Long maxTokens;
    private @Nullable Double temperature;
    private @Nullable Double topP;
    private List<String> stop = List.of();
    private @Nullable Long seed;
    private @Nullable Integer n;
    private @Nullable Integer logprobs;
    private final Map<String, Object> extra = new LinkedHashMap<>();

    private Builder() {}

    public Builder maxTokens(long maxTokens) {
      if (maxTokens < 1) {
        throw new IllegalArgumentException("maxTokens must be positive");
      }
      this.maxTokens = maxTokens;
      return this;
    }

    public Builder temperature(double temperature) {
      this.temperature = temperature;
      return this;
    }

    public Builder topP(double topP) {
      this.topP = topP;
      return this;
    }

    public Builder stop(List<String> stop) {
      this.stop = List.copyOf(stop);
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder n(int n) {
      this.n = n;
      return this;
    }

    public Builder logprobs(int logprobs) {
      this.logprobs = logprobs;
      return this;
    }

    /**
     * An extra parameter sent as a top-level request field (vLLM's {@code top_k}, {@code min_p},
     * {@code guided_json}, ...). Values may be strings, numbers, booleans, lists and maps.
     */
    public Builder extra(String name, Object value) {
      Objects.requireNonNull(name, "name");
      if (RESERVED.contains(name)) {
        throw new IllegalArgumentException(name + " has its own setter");
      }
      extra.put(name, Objects.requireNonNull(value, "value"));
      return this;
    }

    public SamplingParams build() {
      return new SamplingParams(this);
    }
  }
}
