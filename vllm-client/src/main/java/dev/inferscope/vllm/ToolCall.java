package dev.inferscope.vllm;

import java.util.Objects;

/**
 * A function call the model asked for: in an assistant message of a completion, or assembled from a
 * stream's deltas. The arguments are payload (a JSON text the model wrote): never recorded, and not
 * shown by {@link #toString()}.
 *
 * <p>Wire shape: {@code {"id","type":"function","function":{"name","arguments"}}} (vllm-project/vllm
 * {@code vllm/entrypoints/generate/base/protocol.py}, {@code ToolCall} / {@code FunctionCall}).
 *
 * @param index the call's position among the message's tool calls
 * @param id the call id, which the {@code tool} message answering it names
 * @param name the function's name
 * @param arguments the arguments, a JSON text as the model wrote it (it may not be valid JSON)
 */
public record ToolCall(int index, String id, String name, String arguments) {
  public ToolCall {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
  }

  /** A call to put into a request's history (an assistant message that made it). */
  public static ToolCall of(String id, String name, String arguments) {
    return new ToolCall(0, id, name, arguments);
  }

  @Override
  public String toString() {
    return "ToolCall[index=" + index + ", id=" + id + ", name=" + name + ", arguments=<" + arguments.length()
        + " chars>]";
  }
}
