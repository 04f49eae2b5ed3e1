package dev.inferscope.triton;

import dev.inferscope.core.CallContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/** An inference request: model, inputs, requested outputs, parameters. Immutable. */
public final class InferRequest {
  private final String model;
  private final @Nullable String version;
  private final @Nullable String id;
  private final List<Tensor> inputs;
  private final List<String> outputs;
  private final Map<String, Object> parameters;
  private final CallContext context;
  private final @Nullable ToDoubleFunction<InferResult> confidence;

  private InferRequest(Builder b) {
    this.model = b.model;
    this.version = b.version;
    this.id = b.id;
    this.inputs = List.copyOf(b.inputs);
    this.outputs = List.copyOf(b.outputs);
    this.parameters = Map.copyOf(b.parameters);
    this.context = b.context;
    this.confidence = b.confidence;
  }

  public static Builder builder(String model) {
    return new Builder(model);
  }

  public String model() {
    return model;
  }

  public @Nullable String version() {
    return version;
  }

  public @Nullable String id() {
    return id;
  }

  public List<Tensor> inputs() {
    return inputs;
  }

  /** Requested output names; empty means all. */
  public List<String> outputs() {
    return outputs;
  }

  /** Request parameters (String, Long/Integer, Boolean or Double values). */
  public Map<String, Object> parameters() {
    return parameters;
  }


  /** What the caller told Inferscope about this call (experiment, identities, attributes); never sent. */
  public CallContext context() {
    return context;
  }

  /** The function that reads the prediction's confidence from the result, or {@code null}. */
  public @Nullable ToDoubleFunction<InferResult> confidence() {
    return confidence;
  }

  /** The total bytes of the inputs. */
  public long inputBytes() {
    long n = 0;
    for (Tensor t : inputs) {
      n += t.byteSize();
    }
    return n;
  }

  /** The batch size: the first dimension of the first input, or -1. */
  public long batchSize() {
    if (inputs.isEmpty()) {
      return -1;
    }
    long[] s = inputs.get(0).shape();
    return s.length == 0 ? 1 : s[0];
  }

  @Override
  public String toString() {
    return "InferRequest[model=" + model + ", inputs=" + inputs + ", outputs=" + outputs
        + ", parameters=" + parameters.keySet() + "]";
  }

  /** Builds an {@link InferRequest}. */
  public static final class Builder {
    private final String model;
    private @Nullable String version;
    private @Nullable String id;
    private final List<Tensor> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private final Map<String, Object> parameters = new LinkedHashMap<>();
    private CallContext context = CallContext.empty();
    private @Nullable ToDoubleFunction<InferResult> confidence;

    private Builder(String model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    public Builder version(@Nullable String version) {
      this.version = version;
      return this;
    }

    /** A request id; one is generated when none is given. */
    public Builder id(@Nullable String id) {
      this.id = id;
      return this;
    }

    public Builder input(Tensor input) {
      inputs.add(Objects.requireNonNull(input, "input"));
      return this;
    }

    public Builder output(String name) {
      outputs.add(Objects.requireNonNull(name, "name"));
      return this;
    }

    public Builder parameter(String name, Object value) {
      if (!(value instanceof String || value instanceof Long || value instanceof Integer
          || value instanceof Boolean || value instanceof Double)) {
        throw new IllegalArgumentException("parameters are String, Long, Integer, Boolean or Double");
      }
      parameters.put(name, value);
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

    /**
     * Reads the model's confidence in its prediction (0..1) from the result: calls below the log policy's
     * threshold are always logged (the value itself never is). A function that throws, or a value outside
     * 0..1, records no confidence; the call's result is unaffected.
     */
    public Builder confidence(@Nullable ToDoubleFunction<InferResult> confidence) {
      this.confidence = confidence;
      return this;
    }

    public InferRequest build() {
      return new InferRequest(this);
    }
  }
}
