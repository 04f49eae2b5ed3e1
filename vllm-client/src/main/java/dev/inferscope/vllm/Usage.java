package dev.inferscope.vllm;

/**
 * Token usage of a call; -1 where the server did not say.
 *
 * @param promptTokens tokens in the prompt
 * @param completionTokens tokens generated
 * @param totalTokens their sum as reported
 * @param cachedPromptTokens prompt tokens served from the server's prefix cache
 *     ({@code usage.prompt_tokens_details.cached_tokens}: vllm-project/vllm
 *     {@code vllm/entrypoints/openai/engine/protocol.py} {@code PromptTokenUsageInfo}; llama-server b11669)
 * @param reasoningTokens generated tokens spent on reasoning
 *     ({@code usage.completion_tokens_details.reasoning_tokens}, the OpenAI usage shape)
 */
public record Usage(long promptTokens, long completionTokens, long totalTokens, long cachedPromptTokens,
    long reasoningTokens) {
  /** Usage the server did not report. */
  public static final Usage UNKNOWN = new Usage(-1, -1, -1);

  /** Usage without token details. */
  public Usage(long promptTokens, long completionTokens, long totalTokens) {
    this(promptTokens, completionTokens, totalTokens, -1, -1);
  }
}
