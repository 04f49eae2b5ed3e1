package dev.inferscope.vllm;

import org.jspecify.annotations.Nullable;

/**
 * One fragment of a streamed tool call. A call's first fragment usually carries its id and name, later
 * ones pieces of its arguments; {@link StreamAccumulator} joins them into complete {@link ToolCall}s.
 *
 * <p>Wire shape: {@code {"index","id"?,"type"?,"function":{"name"?,"arguments"?}}} (vllm-project/vllm
 * {@code vllm/entrypoints/generate/base/protocol.py}, {@code DeltaToolCall}).
 *
 * @param index which tool call of the choice this fragment belongs to
 * @param id the call id, on the fragment that has it
 * @param name the function name, on the fragment that has it
 * @param arguments this fragment's piece of the arguments (payload; may be empty)
 */
public record ToolCallDelta(int index, @Nullable String id, @Nullable String name, String arguments) {
  public ToolCallDelta {
    arguments = arguments == null ? "" : arguments;
  }

  @Override
  public String toString() {
    return "ToolCallDelta[index=" + index + ", id=" + id + ", name=" + name + ", arguments=<" + arguments.length()
        + " chars>]";
  }
}
