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
  private final List<Tool> tools;
  private final @Nullable ToolChoice toolChoice;
  private final @Nullable Boolean parallelToolCalls;
  private final @Nullable ResponseFormat responseFormat;
  private final @Nullable StructuredOutputs structuredOutputs;
  private final @Nullable String requestId;

  private ChatRequest(Builder b) {
    this.model = b.model;
    this.messages = List.copyOf(b.messages);
    this.sampling = b.sampling;
    this.context = b.context;
    this.confidence = b.confidence;
    this.tools = List.copyOf(b.tools);
    this.toolChoice = b.toolChoice;
    this.parallelToolCalls = b.parallelToolCalls;
    this.responseFormat = b.responseFormat;
    this.structuredOutputs = b.structuredOutputs;
    this.requestId = b.requestId;
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a chat request needs at least one message");
    }
    ToolChecks.check(tools, toolChoice);
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

  /** The tools the model may call; empty when none. */
  public List<Tool> tools() {
    return tools;
  }

  /** Whether and which tool the model must call, or {@code null} for the server's default. */
  public @Nullable ToolChoice toolChoice() {
    return toolChoice;
  }

  /** Whether the model may call several tools at once, or {@code null} for the server's default. */
  public @Nullable Boolean parallelToolCalls() {
    return parallelToolCalls;
  }

  /** The OpenAI {@code response_format}, or {@code null}. */
  public @Nullable ResponseFormat responseFormat() {
    return responseFormat;
  }

  /** vLLM's {@code structured_outputs}, or {@code null}. */
  public @Nullable StructuredOutputs structuredOutputs() {
    return structuredOutputs;
  }

  /** The caller's request id (sent as {@code X-Request-Id} and recorded), or {@code null} for a generated one. */
  public @Nullable String requestId() {
    return requestId;
  }

  @Override
  public String toString() {
    return "ChatRequest[model=" + model + ", messages=<" + messages.size() + ">, tools=" + tools.size()
        + (responseFormat == null ? "" : ", " + responseFormat)
        + (structuredOutputs == null ? "" : ", " + structuredOutputs) + ", " + sampling + "]";
  }

  /** Builds a {@link ChatRequest}. */
  public static final class Builder {
    private final String model;
    private final List<ChatMessage> messages = new ArrayList<>();
    private SamplingParams sampling = SamplingParams.defaults();
    private CallContext context = CallContext.empty();
    private @Nullable ToDoubleFunction<Completion> confidence;
    private final List<Tool> tools = new ArrayList<>();
    private @Nullable ToolChoice toolChoice;
    private @Nullable Boolean parallelToolCalls;
    private @Nullable ResponseFormat responseFormat;
    private @Nullable StructuredOutputs structuredOutputs;
    private @Nullable String requestId;

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

    /** A user message of content parts (text, images, audio, files). */
    public Builder user(ContentPart... parts) {
      return message(ChatMessage.user(parts));
    }

    /** A tool the model may call. */
    public Builder tool(Tool tool) {
      tools.add(Objects.requireNonNull(tool, "tool"));
      return this;
    }

    /** Tools the model may call (added to those already set). */
    public Builder tools(List<Tool> tools) {
      tools.forEach(this::tool);
      return this;
    }

    /** Whether and which tool the model must call (default: the server's, {@code auto} with tools). */
    public Builder toolChoice(@Nullable ToolChoice toolChoice) {
      this.toolChoice = toolChoice;
      return this;
    }

    /** Whether the model may call several tools in one turn (OpenAI {@code parallel_tool_calls}). */
    public Builder parallelToolCalls(@Nullable Boolean parallel) {
      this.parallelToolCalls = parallel;
      return this;
    }

    /** The OpenAI {@code response_format} (text, any JSON object, or JSON matching a schema). */
    public Builder responseFormat(@Nullable ResponseFormat responseFormat) {
      this.responseFormat = responseFormat;
      return this;
    }

    /** vLLM's {@code structured_outputs} (JSON schema, regex, choice or grammar). */
    public Builder structuredOutputs(@Nullable StructuredOutputs structuredOutputs) {
      this.structuredOutputs = structuredOutputs;
      return this;
    }

    /**
     * The request id: sent as {@code X-Request-Id} (which vLLM takes as its own request id) and recorded as
     * {@code inference.request.id} and in the log line, so a server log and a trace can be joined. Default:
     * a generated id.
     *
     * @throws IllegalArgumentException when empty, longer than 128 characters or holding a control character
     */
    public Builder requestId(@Nullable String requestId) {
      this.requestId = requestId == null ? null : RequestIdCheck.check(requestId);
      return this;
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
