package dev.inferscope.vllm;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One chunk of a streamed completion.
 *
 * @param id the response id, when sent
 * @param model the model, when sent
 * @param choices the deltas in this chunk (may be empty, e.g. a usage-only chunk)
 * @param usage usage, on the chunk that carries it, else {@code null}
 */
public record StreamChunk(@Nullable String id, @Nullable String model, List<Choice> choices, @Nullable Usage usage) {
  public StreamChunk {
    choices = List.copyOf(choices);
  }

  /** The delta text of the first choice, or the empty string. */
  public String text() {
    return choices.isEmpty() ? "" : choices.get(0).text();
  }
}
