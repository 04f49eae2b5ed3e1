package dev.inferscope.vllm;

import dev.inferscope.core.CallContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/** A chat completion request. Immutable; messages are payload and never recorded. */
public final class ChatRequest {
  private final String model;
  private final List<ChatMessage> messages;
  private final SamplingParams sampling;
  private final CallContext context;
  private final @Nullable ToDoubleFunction<Completion> confidence;

  private ChatRequest(Builder b) {
    this.model = b.model;
    this.messages = List.copyOf(b.messages);
    this.sampling = b.sampling;
    this.context = b.context;
    this.confidence = b.confidence;
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a chat request needs at least one message");
    }
  }

  public static Builder builder(String model) {
    return new Builder(model);
  }

  public String model() {
    return model;
  }

  public List<ChatMessage> messages() {
    return messages;
  }

  public SamplingParams sampling() {
    return sampling;
  }

  /** What the caller told Inferscope about this call (experiment, identities, attributes); never sent. */
  public CallContext context() {
    return context;
  }

  /** The function that reads a confidence from the completion, or {@code null}. */
  public @Nullable ToDoubleFunction<Completion> confidence() {
    return confidence;
  }

  @Override
  public String toString() {
    return "ChatRequest[model=" + model + ", messages=<" + messages.size() + ">, " + sampling + "]";
  }

  /** Builds a {@link ChatRequest}. */
  public static final class Builder {
    private final String model;
    private final List<ChatMessage> messages = new ArrayList<>();
    private SamplingParams sampling = SamplingParams.defaults();
    private CallContext context = CallContext.empty();
    private @Nullable ToDoubleFunction<Completion> confidence;

    private Builder(String model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    public Builder message(ChatMessage message) {
      messages.add(Objects.requireNonNull(message, "message"));
      return this;
    }

    public Builder system(String content) {
      return message(ChatMessage.system(content));
    }

    public Builder user(String content) {
      return message(ChatMessage.user(content));
    }

    public Builder assistant(String content) {
      return message(ChatMessage.assistant(content));
    }

    public Builder sampling(SamplingParams sampling) {
      this.sampling = Objects.requireNonNull(sampling, "sampling");
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
     * Reads a confidence (0..1) from a non-streamed completion (from logprobs, a score in the answer):
     * calls below the log policy's threshold are always logged, the value itself never is. A function
     * that throws, or a value outside 0..1, records no confidence; the result is unaffected.
     */
    public Builder confidence(@Nullable ToDoubleFunction<Completion> confidence) {
      this.confidence = confidence;
      return this;
    }

    public ChatRequest build() {
      return new ChatRequest(this);
    }
  }
}
