package dev.inferscope.vllm;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Whether and which tool the model must call: {@code "none"}, {@code "auto"}, {@code "required"} or one
 * named function ({@code {"type":"function","function":{"name"}}}; vllm-project/vllm
 * {@code vllm/entrypoints/openai/chat_completion/protocol.py}, {@code ChatCompletionRequest.tool_choice}).
 */
public final class ToolChoice {
  private static final ToolChoice NONE = new ToolChoice("none", null);
  private static final ToolChoice AUTO = new ToolChoice("auto", null);
  private static final ToolChoice REQUIRED = new ToolChoice("required", null);

  private final String mode;
  private final @Nullable String function;

  private ToolChoice(String mode, @Nullable String function) {
    this.mode = mode;
    this.function = function;
  }

  /** The model calls no tool. */
  public static ToolChoice none() {
    return NONE;
  }

  /** The model decides. */
  public static ToolChoice auto() {
    return AUTO;
  }

  /** The model calls at least one tool. */
  public static ToolChoice required() {
    return REQUIRED;
  }

  /** The model calls this function. */
  public static ToolChoice function(String name) {
    return new ToolChoice("function", Objects.requireNonNull(name, "name"));
  }

  /** {@code none}, {@code auto}, {@code required} or {@code function}. */
  public String mode() {
    return mode;
  }

  /** The function's name for {@link #function(String)}, else {@code null}. */
  public @Nullable String functionName() {
    return function;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ToolChoice t && t.mode.equals(mode) && Objects.equals(t.function, function);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mode, function);
  }

  @Override
  public String toString() {
    return function == null ? "ToolChoice[" + mode + "]" : "ToolChoice[function " + function + "]";
  }
}
