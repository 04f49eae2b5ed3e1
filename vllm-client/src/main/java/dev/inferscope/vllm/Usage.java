package dev.inferscope.vllm;

/**
 * Token usage of a call; -1 where the server did not say.
 *
 * @param promptTokens tokens in the prompt
 * @param completionTokens tokens generated
 * @param totalTokens their sum as reported
 */
public record Usage(long promptTokens, long completionTokens, long totalTokens) {
  /** Usage the server did not report. */
  public static final Usage UNKNOWN = new Usage(-1, -1, -1);
}
