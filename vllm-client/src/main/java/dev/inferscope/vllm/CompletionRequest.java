package dev.inferscope.vllm;

import dev.inferscope.core.CallContext;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/** A text completion request. Immutable; the prompt is payload and never recorded. */
public final class CompletionRequest {
  private final String model;
  private final String prompt;
  private final SamplingParams sampling;
  private final CallContext context;
  private final @Nullable ToDoubleFunction<Completion> confidence;

  private CompletionRequest(String model, String prompt, SamplingParams sampling, CallContext context,
      @Nullable ToDoubleFunction<Completion> confidence) {
    this.model = Objects.requireNonNull(model, "model");
    this.prompt = Objects.requireNonNull(prompt, "prompt");
    this.sampling = Objects.requireNonNull(sampling, "sampling");
    this.context = Objects.requireNonNull(context, "context");
    this.confidence = confidence;
  }

  public static CompletionRequest of(String model, String prompt) {
    return new CompletionRequest(model, prompt, SamplingParams.defaults(), CallContext.empty(), null);
  }

  public static CompletionRequest of(String model, String prompt, SamplingParams sampling) {
    return new CompletionRequest(model, prompt, sampling, CallContext.empty(), null);
  }

  public String model() {
    return model;
  }

  public String prompt() {
    return prompt;
  }

  public SamplingParams sampling() {
    return sampling;
  }

  /** This request with {@code context} for its telemetry (see {@link CallContext}); not sent. */
  public CompletionRequest withContext(CallContext context) {
    return new CompletionRequest(model, prompt, sampling, context, confidence);
  }

  /** This request with a function reading a confidence (0..1) from the completion (see {@code ChatRequest}). */
  public CompletionRequest withConfidence(@Nullable ToDoubleFunction<Completion> confidence) {
    return new CompletionRequest(model, prompt, sampling, context, confidence);
  }

  /** What the caller told Inferscope about this call; never sent. */
  public CallContext context() {
    return context;
  }

  /** The function that reads a confidence from the completion, or {@code null}. */
  public @Nullable ToDoubleFunction<Completion> confidence() {
    return confidence;
  }

  @Override
  public String toString() {
    return "CompletionRequest[model=" + model + ", prompt=<" + prompt.length() + " chars>, " + sampling + "]";
  }
}
