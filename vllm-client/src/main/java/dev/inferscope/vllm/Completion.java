package dev.inferscope.vllm;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer to a chat or text completion (non-streaming), or the sum of a consumed stream.
 *
 * @param id the response id, when the server sent one
 * @param model the model that answered, when the server said
 * @param choices the choices
 * @param usage token usage
 */
public record Completion(@Nullable String id, @Nullable String model, List<Choice> choices, Usage usage) {
  public Completion {
    choices = List.copyOf(choices);
  }

  /** The text of the first choice, or the empty string. */
  public String text() {
    return choices.isEmpty() ? "" : choices.get(0).text();
  }

  /** The reasoning text of the first choice, or the empty string. */
  public String reasoning() {
    return choices.isEmpty() ? "" : choices.get(0).reasoning();
  }

  /** The tool calls of the first choice (empty when the model called none). */
  public List<ToolCall> toolCalls() {
    return choices.isEmpty() ? List.of() : choices.get(0).toolCalls();
  }

  /** The finish reasons of all choices that have one. */
  public List<String> finishReasons() {
    List<String> out = new ArrayList<>();
    for (Choice c : choices) {
      if (c.finishReason() != null) {
        out.add(c.finishReason());
      }
    }
    return out;
  }
}
