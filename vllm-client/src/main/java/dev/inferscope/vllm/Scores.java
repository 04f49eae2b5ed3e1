package dev.inferscope.vllm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer of vLLM's {@code /v1/score}: one similarity score per pair, in request order
 * (vllm-project/vllm {@code vllm/entrypoints/pooling/score/protocol.py}, {@code ScoreResponse}:
 * {@code data[{index, object:"score", score}]}, {@code usage}).
 *
 * @param model the model, when sent
 * @param scores the scores, by pair index
 * @param usage token usage
 */
public record Scores(@Nullable String model, List<Double> scores, Usage usage) {
  public Scores {
    scores = List.copyOf(scores);
  }
}
