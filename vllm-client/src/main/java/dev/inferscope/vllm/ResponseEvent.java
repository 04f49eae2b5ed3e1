package dev.inferscope.vllm;

import org.jspecify.annotations.Nullable;

/**
 * One event of a streamed Responses call, typed by {@link #kind()} (its wire {@code type} is kept in
 * {@link #type()}). The sequence llama-server b11669 sends for a text answer: {@code response.created},
 * {@code response.in_progress}, {@code response.output_item.added}, {@code response.content_part.added},
 * {@code response.output_text.delta}..., {@code response.output_text.done}, {@code response.content_part.done},
 * {@code response.output_item.done}, {@code response.completed} (vLLM's events: vllm-project/vllm
 * {@code vllm/entrypoints/openai/responses/streaming_events.py}). The stream ends with the call at
 * {@code response.completed} or {@code response.incomplete}; {@code response.failed} and {@code error} events
 * end it with an {@link dev.inferscope.core.InferenceException}.
 *
 * @param kind the kind
 * @param type the event's {@code type} as sent
 * @param itemId the output item the event is about, when it says
 * @param delta the text of a delta event (payload), else empty
 * @param response the response a {@code response.created}, {@code response.completed} or
 *     {@code response.incomplete} event carries, else {@code null}
 */
public record ResponseEvent(Kind kind, String type, @Nullable String itemId, String delta,
    @Nullable ResponseResult response) {

  /** The kinds of event Inferscope reads; anything else is {@link #OTHER}. */
  public enum Kind {
    CREATED, IN_PROGRESS, OUTPUT_ITEM_ADDED, OUTPUT_ITEM_DONE, CONTENT_PART_ADDED, CONTENT_PART_DONE,
    OUTPUT_TEXT_DELTA, OUTPUT_TEXT_DONE, REASONING_DELTA, REASONING_DONE, FUNCTION_CALL_ARGUMENTS_DELTA,
    FUNCTION_CALL_ARGUMENTS_DONE, COMPLETED, INCOMPLETE, OTHER;

    /** The kind of a wire {@code type}. */
    public static Kind of(String type) {
      return switch (type) {
        case "response.created" -> CREATED;
        case "response.in_progress" -> IN_PROGRESS;
        case "response.output_item.added" -> OUTPUT_ITEM_ADDED;
        case "response.output_item.done" -> OUTPUT_ITEM_DONE;
        case "response.content_part.added" -> CONTENT_PART_ADDED;
        case "response.content_part.done" -> CONTENT_PART_DONE;
        case "response.output_text.delta" -> OUTPUT_TEXT_DELTA;
        case "response.output_text.done" -> OUTPUT_TEXT_DONE;
        case "response.reasoning_text.delta" -> REASONING_DELTA;
        case "response.reasoning_text.done" -> REASONING_DONE;
        case "response.function_call_arguments.delta" -> FUNCTION_CALL_ARGUMENTS_DELTA;
        case "response.function_call_arguments.done" -> FUNCTION_CALL_ARGUMENTS_DONE;
        case "response.completed" -> COMPLETED;
        case "response.incomplete" -> INCOMPLETE;
        default -> OTHER;
      };
    }
  }

  public ResponseEvent {
    delta = delta == null ? "" : delta;
  }

  /** Whether this event carries generated output: a non-empty text, reasoning or arguments delta. */
  public boolean isOutput() {
    return !delta.isEmpty() && (kind == Kind.OUTPUT_TEXT_DELTA || kind == Kind.REASONING_DELTA
        || kind == Kind.FUNCTION_CALL_ARGUMENTS_DELTA);
  }

  @Override
  public String toString() {
    return "ResponseEvent[" + type + (itemId == null ? "" : ", item=" + itemId)
        + (delta.isEmpty() ? "" : ", delta=<" + delta.length() + " chars>") + "]";
  }
}
