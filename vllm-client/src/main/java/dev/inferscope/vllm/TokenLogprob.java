package dev.inferscope.vllm;

import java.util.List;
import java.util.Objects;

/**
 * The log probability of one generated token, with the most likely alternatives when they were asked
 * for. Tokens are output text: never recorded; {@link #toString()} does not show them.
 *
 * <p>Read from chat's {@code logprobs.content[]} ({@code token}, {@code logprob}, {@code top_logprobs};
 * vllm-project/vllm {@code vllm/entrypoints/openai/chat_completion/protocol.py},
 * {@code ChatCompletionLogProbsContent}) and from text completions' {@code logprobs} ({@code tokens},
 * {@code token_logprobs}, {@code top_logprobs} as maps; {@code CompletionLogProbs}).
 *
 * @param token the token's text
 * @param logprob its log probability
 * @param top the most likely tokens at this position, most likely first (empty when not asked for)
 */
public record TokenLogprob(String token, double logprob, List<Alternative> top) {
  public TokenLogprob {
    Objects.requireNonNull(token, "token");
    top = List.copyOf(top);
  }

  /** The probability, {@code exp(logprob)}. */
  public double probability() {
    return Math.exp(logprob);
  }

  @Override
  public String toString() {
    return "TokenLogprob[<token>, logprob=" + logprob + ", top=" + top.size() + "]";
  }

  /**
   * One alternative token at a position.
   *
   * @param token the token's text
   * @param logprob its log probability
   */
  public record Alternative(String token, double logprob) {
    public Alternative {
      Objects.requireNonNull(token, "token");
    }

    @Override
    public String toString() {
      return "Alternative[<token>, logprob=" + logprob + "]";
    }
  }
}
