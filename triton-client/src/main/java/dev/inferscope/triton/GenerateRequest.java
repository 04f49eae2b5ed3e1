package dev.inferscope.triton;

import dev.inferscope.core.CallContext;
import dev.inferscope.core.internal.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A generate request to an LLM model served by Triton's vLLM backend: the prompt ({@code text_input}),
 * streaming, {@code sampling_parameters} (sent as JSON), {@code exclude_input_in_output} and token-count
 * options. The prompt is a payload and never recorded. Immutable.
 */
public final class GenerateRequest {
  private final String model;
  private final String prompt;
  private final boolean stream;
  private final Map<String, Object> sampling;
  private final boolean excludeInput;
  private final CallContext context;

  private GenerateRequest(Builder b) {
    this.model = b.model;
    this.prompt = b.prompt;
    this.stream = b.stream;
    this.sampling = Map.copyOf(b.sampling);
    this.excludeInput = b.excludeInput;
    this.context = b.context;
  }

  public static Builder builder(String model, String prompt) {
    return new Builder(model, prompt);
  }

  public String model() {
    return model;
  }

  public String prompt() {
    return prompt;
  }

  public boolean stream() {
    return stream;
  }

  public Map<String, Object> sampling() {
    return sampling;
  }

  public boolean excludeInput() {
    return excludeInput;
  }

  /** The sampling parameters as the JSON text the backend expects. */
  public String samplingJson() {
    return Json.write(sampling);
  }

  @Nullable Long maxTokens() {
    return sampling.get("max_tokens") instanceof Number n ? n.longValue() : null;
  }

  @Nullable Double temperature() {
    return sampling.get("temperature") instanceof Number n ? n.doubleValue() : null;
  }

  @Nullable Double topP() {
    return sampling.get("top_p") instanceof Number n ? n.doubleValue() : null;
  }


  /** What the caller told Inferscope about this call (experiment, identities, attributes); never sent. */
  public CallContext context() {
    return context;
  }

  @Override
  public String toString() {
    return "GenerateRequest[model=" + model + ", prompt=<" + prompt.length() + " chars>, stream=" + stream
        + ", sampling=" + sampling.keySet() + "]";
  }

  /** Builds a {@link GenerateRequest}. */
  public static final class Builder {
    private final String model;
    private final String prompt;
    private boolean stream = true;
    private final Map<String, Object> sampling = new LinkedHashMap<>();
    private boolean excludeInput = true;
    private CallContext context = CallContext.empty();

    private Builder(String model, String prompt) {
      this.model = Objects.requireNonNull(model, "model");
      this.prompt = Objects.requireNonNull(prompt, "prompt");
    }

    public Builder stream(boolean stream) {
      this.stream = stream;
      return this;
    }

    public Builder maxTokens(long maxTokens) {
      sampling.put("max_tokens", maxTokens);
      return this;
    }

    public Builder temperature(double temperature) {
      sampling.put("temperature", temperature);
      return this;
    }

    public Builder topP(double topP) {
      sampling.put("top_p", topP);
      return this;
    }

    /** Any other vLLM sampling parameter. */
    public Builder sampling(String name, Object value) {
      sampling.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder excludeInputInOutput(boolean exclude) {
      this.excludeInput = exclude;
      return this;
    }

    /**
     * Experiment and variant, user id, client address and custom attributes for this call's telemetry
     * (see {@link CallContext}). Not sent to the server.
     */
    public Builder context(CallContext context) {
      this.context = Objects.requireNonNull(context, "context");
      return this;
    }

    public GenerateRequest build() {
      return new GenerateRequest(this);
    }
  }
}
