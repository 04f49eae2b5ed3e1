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
  private static final Set<String> RESERVED = Set.of("model", "messages", "prompt", "stream", "stream_options",
      "max_tokens", "temperature", "top_p", "stop", "seed", "n", "logprobs", "top_logprobs", "user", "priority",
      "tools", "tool_choice", "parallel_tool_calls", "response_format", "structured_outputs");

  /**
   * The guided-decoding request fields vLLM 0.12 removed in favour of {@code structured_outputs}; a server
   * that no longer knows them ignores them, so the output is silently unconstrained.
   */
  static final Set<String> REMOVED_GUIDED = Set.of("guided_json", "guided_regex", "guided_choice", "guided_grammar",
      "guided_decoding_backend", "guided_whitespace_pattern", "guided_json_object");
  // after REMOVED_GUIDED, which the constructor reads
  private static final SamplingParams DEFAULTS = builder().build();

  private final @Nullable Long maxTokens;
  private final @Nullable Double temperature;
  private final @Nullable Double topP;
  private final List<String> stop;
  private final @Nullable Long seed;
  private final @Nullable Integer n;
  private final @Nullable Integer logprobs;
  private final @Nullable String user;
  private final @Nullable Integer priority;
  private final Map<String, Object> extra;
  private final List<String> removedGuided;

  private SamplingParams(Builder b) {
    this.maxTokens = b.maxTokens;
    this.temperature = b.temperature;
    this.topP = b.topP;
    this.stop = List.copyOf(b.stop);
    this.seed = b.seed;
    this.n = b.n;
    this.logprobs = b.logprobs;
    this.user = b.user;
    this.priority = b.priority;
    this.extra = Map.copyOf(b.extra);
    this.removedGuided = b.extra.keySet().stream().filter(REMOVED_GUIDED::contains).sorted().toList();
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

  /**
   * Log probabilities of the generated tokens with this many alternatives each (0 for the token's own
   * only), or {@code null} for none. Chat sends {@code logprobs: true} and {@code top_logprobs}; text
   * completions send {@code logprobs} as the number.
   */
  public @Nullable Integer logprobs() {
    return logprobs;
  }

  /** The end-user identifier sent as {@code user} (never recorded), or {@code null}. */
  public @Nullable String user() {
    return user;
  }

  /** vLLM's scheduling {@code priority} (lower is served earlier), or {@code null}. */
  public @Nullable Integer priority() {
    return priority;
  }

  /** The removed {@code guided_*} fields among {@link #extra()}, in name order; empty when none. */
  public List<String> removedGuidedParams() {
    return removedGuided;
  }

  /** Extra parameters passed through as they are (values never recorded). */
  public Map<String, Object> extra() {
    return extra;
  }

  @Override
  public String toString() {
    return "SamplingParams[maxTokens=" + maxTokens + ", temperature=" + temperature + ", topP=" + topP
        + ", stop=<" + stop.size() + ">, seed=" + seed + ", n=" + n + ", logprobs=" + logprobs
        + ", user=" + (user == null ? "none" : "<set>") + ", priority=" + priority + ", extra=" + extra.keySet() + "]";
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
    private @Nullable String user;
    private @Nullable Integer priority;
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

    /**
     * How many choices to generate (OpenAI {@code n}).
     *
     * @throws IllegalArgumentException when below 1
     */
    public Builder n(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("n must be at least 1");
      }
      this.n = n;
      return this;
    }

    /**
     * Return log probabilities of the generated tokens, with {@code alternatives} most likely alternatives
     * at each position (0: the generated token's own only).
     *
     * @throws IllegalArgumentException when negative or over 20 (the OpenAI limit; vLLM's default
     *     {@code --max-logprobs})
     */
    public Builder logprobs(int alternatives) {
      if (alternatives < 0 || alternatives > 20) {
        throw new IllegalArgumentException("logprobs alternatives must be 0 to 20");
      }
      this.logprobs = alternatives;
      return this;
    }

    /** The end-user identifier the server may use for abuse monitoring; sent as {@code user}, never recorded. */
    public Builder user(@Nullable String user) {
      this.user = user;
      return this;
    }

    /**
     * vLLM's request {@code priority}: lower is scheduled earlier (only on servers started with
     * {@code --scheduling-policy priority}; vllm-project/vllm
     * {@code vllm/entrypoints/openai/chat_completion/protocol.py}, {@code priority}).
     */
    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /**
     * An extra parameter sent as a top-level request field (vLLM's {@code top_k}, {@code min_p},
     * {@code repetition_penalty}, ...). Values may be strings, numbers, booleans, lists and maps. The
     * removed {@code guided_*} fields are still sent (for servers older than vLLM 0.12), but the client
     * warns once and marks the span ({@code inference.request.removed_params}); use
     * {@link StructuredOutputs} instead.
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
