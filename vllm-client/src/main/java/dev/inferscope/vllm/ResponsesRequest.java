package dev.inferscope.vllm;

import dev.inferscope.core.CallContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A request to the Responses API ({@code POST /v1/responses}; vLLM's {@code ResponsesRequest} in
 * vllm-project/vllm {@code vllm/entrypoints/openai/responses/protocol.py}, llama-server b11669 serves it too).
 * The input is text or a conversation of {@link ChatMessage}s: text and content parts, earlier tool calls
 * ({@link ChatMessage#assistantToolCalls}, sent as {@code function_call} items) and their results
 * ({@link ChatMessage#tool}, sent as {@code function_call_output} items). Immutable; everything but the
 * settings is payload and never recorded.
 */
public final class ResponsesRequest {
  private final String model;
  private final @Nullable String input;
  private final List<ChatMessage> messages;
  private final @Nullable String instructions;
  private final @Nullable Long maxOutputTokens;
  private final @Nullable Double temperature;
  private final @Nullable Double topP;
  private final @Nullable Long seed;
  private final List<Tool> tools;
  private final @Nullable ToolChoice toolChoice;
  private final @Nullable Boolean parallelToolCalls;
  private final @Nullable ResponseFormat responseFormat;
  private final @Nullable String reasoningEffort;
  private final CallContext context;
  private final @Nullable String requestId;

  private ResponsesRequest(Builder b) {
    this.model = b.model;
    this.input = b.input;
    this.messages = List.copyOf(b.messages);
    this.instructions = b.instructions;
    this.maxOutputTokens = b.maxOutputTokens;
    this.temperature = b.temperature;
    this.topP = b.topP;
    this.seed = b.seed;
    this.tools = List.copyOf(b.tools);
    this.toolChoice = b.toolChoice;
    this.parallelToolCalls = b.parallelToolCalls;
    this.responseFormat = b.responseFormat;
    this.reasoningEffort = b.reasoningEffort;
    this.context = b.context;
    this.requestId = b.requestId;
    if ((input == null) == messages.isEmpty()) {
      throw new IllegalArgumentException("a responses request has either text input or messages");
    }
    for (ChatMessage m : messages) {
      for (ContentPart p : m.parts()) {
        if (p instanceof ContentPart.InputAudio) {
          throw new IllegalArgumentException("the Responses API takes no input_audio parts; use chat");
        }
      }
    }
    ToolChecks.check(tools, toolChoice);
  }

  public static Builder builder(String model) {
    return new Builder(model);
  }

  public String model() {
    return model;
  }

  /** The text input, or {@code null} when the input is messages. */
  public @Nullable String input() {
    return input;
  }

  /** The input messages; empty when the input is text. */
  public List<ChatMessage> messages() {
    return messages;
  }

  public @Nullable String instructions() {
    return instructions;
  }

  public @Nullable Long maxOutputTokens() {
    return maxOutputTokens;
  }

  public @Nullable Double temperature() {
    return temperature;
  }

  public @Nullable Double topP() {
    return topP;
  }

  public @Nullable Long seed() {
    return seed;
  }

  public List<Tool> tools() {
    return tools;
  }

  public @Nullable ToolChoice toolChoice() {
    return toolChoice;
  }

  public @Nullable Boolean parallelToolCalls() {
    return parallelToolCalls;
  }

  /** The output format, sent as {@code text.format}. */
  public @Nullable ResponseFormat responseFormat() {
    return responseFormat;
  }

  /** {@code reasoning.effort}, or {@code null}. */
  public @Nullable String reasoningEffort() {
    return reasoningEffort;
  }

  public CallContext context() {
    return context;
  }

  public @Nullable String requestId() {
    return requestId;
  }

  @Override
  public String toString() {
    return "ResponsesRequest[model=" + model + ", input=<" + (input != null ? input.length() + " chars"
        : messages.size() + " messages") + ">, tools=" + tools.size() + ", maxOutputTokens=" + maxOutputTokens + "]";
  }

  /** Builds a {@link ResponsesRequest}. */
  public static final class Builder {
    private final String model;
    private @Nullable String input;
    private final List<ChatMessage> messages = new ArrayList<>();
    private @Nullable String instructions;
    private @Nullable Long maxOutputTokens;
    private @Nullable Double temperature;
    private @Nullable Double topP;
    private @Nullable Long seed;
    private final List<Tool> tools = new ArrayList<>();
    private @Nullable ToolChoice toolChoice;
    private @Nullable Boolean parallelToolCalls;
    private @Nullable ResponseFormat responseFormat;
    private @Nullable String reasoningEffort;
    private CallContext context = CallContext.empty();
    private @Nullable String requestId;

    private Builder(String model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    /** Text input. */
    public Builder input(String input) {
      this.input = Objects.requireNonNull(input, "input");
      return this;
    }

    /** One input message (text, parts, an earlier tool call or a tool result). */
    public Builder message(ChatMessage message) {
      messages.add(Objects.requireNonNull(message, "message"));
      return this;
    }

    /** System-level instructions, sent as {@code instructions}. */
    public Builder instructions(@Nullable String instructions) {
      this.instructions = instructions;
      return this;
    }

    /**
     * The most tokens to generate ({@code max_output_tokens}).
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxOutputTokens(long maxOutputTokens) {
      if (maxOutputTokens < 1) {
        throw new IllegalArgumentException("maxOutputTokens must be positive");
      }
      this.maxOutputTokens = maxOutputTokens;
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

    /** vLLM's {@code seed} for reproducible sampling. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** A function tool (sent in the Responses shape: {@code {"type":"function","name",...}}). */
    public Builder tool(Tool tool) {
      tools.add(Objects.requireNonNull(tool, "tool"));
      return this;
    }

    public Builder toolChoice(@Nullable ToolChoice toolChoice) {
      this.toolChoice = toolChoice;
      return this;
    }

    public Builder parallelToolCalls(@Nullable Boolean parallel) {
      this.parallelToolCalls = parallel;
      return this;
    }

    /** The output format ({@code text.format}: text, a JSON object or JSON matching a schema). */
    public Builder responseFormat(@Nullable ResponseFormat responseFormat) {
      this.responseFormat = responseFormat;
      return this;
    }

    /**
     * {@code reasoning.effort} for reasoning models.
     *
     * @throws IllegalArgumentException for a value other than none, minimal, low, medium, high
     */
    public Builder reasoningEffort(@Nullable String effort) {
      if (effort != null && !Set.of("none", "minimal", "low", "medium", "high").contains(effort)) {
        throw new IllegalArgumentException("reasoning effort must be none, minimal, low, medium or high");
      }
      this.reasoningEffort = effort;
      return this;
    }

    /** Telemetry context for this call (see {@link CallContext}); not sent. */
    public Builder context(CallContext context) {
      this.context = Objects.requireNonNull(context, "context");
      return this;
    }

    /** The request id, sent as {@code X-Request-Id} and recorded (see {@link ChatRequest.Builder#requestId}). */
    public Builder requestId(@Nullable String requestId) {
      this.requestId = requestId == null ? null : RequestIdCheck.check(requestId);
      return this;
    }

    public ResponsesRequest build() {
      return new ResponsesRequest(this);
    }
  }
}
