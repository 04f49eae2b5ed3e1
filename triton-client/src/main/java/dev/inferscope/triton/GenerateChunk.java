package dev.inferscope.triton;

import org.jspecify.annotations.Nullable;

/**
 * One response of a generate call on an LLM model (Triton's vLLM backend).
 *
 * @param text the text of this response (a delta when streaming)
 * @param finishReason the finish reason on the last response, else {@code null}
 * @param last whether this was the final response
 * @param inputTokens prompt tokens when the server reported them, else -1
 * @param outputTokens generated tokens when reported, else -1
 */
public record GenerateChunk(String text, @Nullable String finishReason, boolean last, long inputTokens,
    long outputTokens) {
  @Override
  public String toString() {
    return "GenerateChunk[text=<" + text.length() + " chars>, finishReason=" + finishReason + ", last=" + last + "]";
  }
}
