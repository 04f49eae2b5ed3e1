package dev.inferscope.vllm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer of the Responses API: the response object of a non-streamed call, or the one a stream's
 * {@code response.completed} (or {@code response.incomplete}) event carries. The text, reasoning and tool
 * calls are the output items' (payload: {@link #toString()} shows only sizes).
 *
 * @param id the response id ({@code resp_...})
 * @param model the model, when sent
 * @param status {@code completed}, {@code incomplete}, ...
 * @param incompleteReason why an incomplete response stopped ({@code max_output_tokens}, ...), else {@code null}
 * @param text the {@code output_text} of the message items, joined
 * @param reasoning the {@code reasoning_text} of the reasoning items, joined
 * @param toolCalls the {@code function_call} items (their {@code call_id} as the id)
 * @param usage token usage ({@code input_tokens}, {@code output_tokens} and their details)
 */
public record ResponseResult(@Nullable String id, @Nullable String model, @Nullable String status,
    @Nullable String incompleteReason, String text, String reasoning, List<ToolCall> toolCalls, Usage usage) {
  public ResponseResult {
    toolCalls = List.copyOf(toolCalls);
  }

  @Override
  public String toString() {
    return "ResponseResult[id=" + id + ", status=" + status + ", text=<" + text.length() + " chars>, reasoning=<"
        + reasoning.length() + " chars>, toolCalls=" + toolCalls.size() + ", " + usage + "]";
  }
}
