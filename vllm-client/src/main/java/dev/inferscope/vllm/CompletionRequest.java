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
  private final @Nullable ResponseFormat responseFormat;
  private final @Nullable StructuredOutputs structuredOutputs;
  private final @Nullable String requestId;

  private CompletionRequest(String model, String prompt, SamplingParams sampling, CallContext context,
      @Nullable ToDoubleFunction<Completion> confidence, @Nullable ResponseFormat responseFormat,
      @Nullable StructuredOutputs structuredOutputs, @Nullable String requestId) {
    this.model = Objects.requireNonNull(model, "model");
    this.prompt = Objects.requireNonNull(prompt, "prompt");
    this.sampling = Objects.requireNonNull(sampling, "sampling");
    this.context = Objects.requireNonNull(context, "context");
    this.confidence = confidence;
    this.responseFormat = responseFormat;
    this.structuredOutputs = structuredOutputs;
    this.requestId = requestId;
  }

  public static CompletionRequest of(String model, String prompt) {
    return of(model, prompt, SamplingParams.defaults());
  }

  public static CompletionRequest of(String model, String prompt, SamplingParams sampling) {
    return new CompletionRequest(model, prompt, sampling, CallContext.empty(), null, null, null, null);
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
    return new CompletionRequest(model, prompt, sampling, context, confidence, responseFormat, structuredOutputs,
        requestId);
  }

  /** This request with a function reading a confidence (0..1) from the completion (see {@code ChatRequest}). */
  public CompletionRequest withConfidence(@Nullable ToDoubleFunction<Completion> confidence) {
    return new CompletionRequest(model, prompt, sampling, context, confidence, responseFormat, structuredOutputs,
        requestId);
  }

  /** This request with a {@code response_format} (vLLM reads it on text completions too). */
  public CompletionRequest withResponseFormat(@Nullable ResponseFormat responseFormat) {
    return new CompletionRequest(model, prompt, sampling, context, confidence, responseFormat, structuredOutputs,
        requestId);
  }

  /** This request with vLLM's {@code structured_outputs}. */
  public CompletionRequest withStructuredOutputs(@Nullable StructuredOutputs structuredOutputs) {
    return new CompletionRequest(model, prompt, sampling, context, confidence, responseFormat, structuredOutputs,
        requestId);
  }

  /**
   * This request with the caller's request id, sent as {@code X-Request-Id} and recorded (see
   * {@link ChatRequest.Builder#requestId}).
   *
   * @throws IllegalArgumentException when empty, longer than 128 characters or holding a control character
   */
  public CompletionRequest withRequestId(@Nullable String requestId) {
    return new CompletionRequest(model, prompt, sampling, context, confidence, responseFormat, structuredOutputs,
        requestId == null ? null : RequestIdCheck.check(requestId));
  }

  /** What the caller told Inferscope about this call; never sent. */
  public CallContext context() {
    return context;
  }

  /** The function that reads a confidence from the completion, or {@code null}. */
  public @Nullable ToDoubleFunction<Completion> confidence() {
    return confidence;
  }

  public @Nullable ResponseFormat responseFormat() {
    return responseFormat;
  }

  public @Nullable StructuredOutputs structuredOutputs() {
    return structuredOutputs;
  }

  public @Nullable String requestId() {
    return requestId;
  }

  @Override
  public String toString() {
    return "CompletionRequest[model=" + model + ", prompt=<" + prompt.length() + " chars>, " + sampling + "]";
  }
}
