package dev.inferscope.vllm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer of vLLM's {@code /classify} ({@code ClassificationResponse}: {@code data}, {@code usage}).
 *
 * @param model the model, when sent
 * @param results one classification per input, in input order
 * @param usage token usage
 */
public record Classifications(@Nullable String model, List<Classification> results, Usage usage) {
  public Classifications {
    results = List.copyOf(results);
  }
}
