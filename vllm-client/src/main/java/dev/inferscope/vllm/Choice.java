package dev.inferscope.vllm;

import org.jspecify.annotations.Nullable;

/**
 * One choice of a completion, or one choice's delta in a streamed chunk.
 *
 * @param index the choice index
 * @param text the generated text (for chat, the message content; for a chunk, the delta)
 * @param role the role, when the server sent one
 * @param finishReason {@code stop}, {@code length}, ... or {@code null} while generating
 */
public record Choice(int index, String text, @Nullable String role, @Nullable String finishReason) {
  @Override
  public String toString() {
    return "Choice[index=" + index + ", text=<" + text.length() + " chars>, finishReason=" + finishReason + "]";
  }
}
