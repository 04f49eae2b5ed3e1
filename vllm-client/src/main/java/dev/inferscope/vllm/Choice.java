package dev.inferscope.vllm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One choice of a completion, or one choice's delta in a streamed chunk. Text, reasoning, tool-call
 * arguments and token texts are payload: {@link #toString()} shows only their sizes.
 *
 * @param index the choice index
 * @param text the generated text (for chat, the message content; for a chunk, the delta)
 * @param role the role, when the server sent one
 * @param finishReason {@code stop}, {@code length}, {@code tool_calls}, ... or {@code null} while generating
 * @param reasoning the reasoning text, kept apart from the answer (vLLM's {@code reasoning}, older servers'
 *     and llama.cpp's {@code reasoning_content}); for a chunk, the delta; empty when none
 * @param toolCalls the complete tool calls of the message (a completion, or a stream's collected result)
 * @param toolCallDeltas in a streamed chunk, the tool-call fragments it carries; empty elsewhere
 * @param logprobs the log probabilities of the generated tokens, when asked for; else empty
 */
public record Choice(int index, String text, @Nullable String role, @Nullable String finishReason, String reasoning,
    List<ToolCall> toolCalls, List<ToolCallDelta> toolCallDeltas, List<TokenLogprob> logprobs) {
  public Choice {
    text = text == null ? "" : text;
    reasoning = reasoning == null ? "" : reasoning;
    toolCalls = List.copyOf(toolCalls);
    toolCallDeltas = List.copyOf(toolCallDeltas);
    logprobs = List.copyOf(logprobs);
  }

  /** A text choice. */
  public Choice(int index, String text, @Nullable String role, @Nullable String finishReason) {
    this(index, text, role, finishReason, "", List.of(), List.of(), List.of());
  }

  /** Whether this choice (or delta) carries output: text, reasoning or a tool-call fragment. */
  public boolean hasOutput() {
    return !text.isEmpty() || !reasoning.isEmpty() || !toolCallDeltas.isEmpty() || !toolCalls.isEmpty();
  }

  @Override
  public String toString() {
    return "Choice[index=" + index + ", text=<" + text.length() + " chars>"
        + (reasoning.isEmpty() ? "" : ", reasoning=<" + reasoning.length() + " chars>")
        + (toolCalls.isEmpty() ? "" : ", toolCalls=" + toolCalls.size())
        + (toolCallDeltas.isEmpty() ? "" : ", toolCallDeltas=" + toolCallDeltas.size())
        + (logprobs.isEmpty() ? "" : ", logprobs=" + logprobs.size())
        + ", finishReason=" + finishReason + "]";
  }
}
