package dev.inferscope.vllm;

import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.InferenceAttributes;
import dev.inferscope.core.internal.Json;
import dev.inferscope.vllm.internal.ResponsesCodec;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A streamed Responses call: a blocking iterator over its {@link ResponseEvent}s. The call ends exactly
 * once: at {@code response.completed} or {@code response.incomplete} (the event is still delivered), on an
 * error ({@code response.failed}, an {@code error} event, a malformed event, idle timeout, deadline, a
 * dropped connection), or on {@link #cancel()} / {@link #close()} before the end. Text, reasoning and
 * function-call argument deltas are the output chunks (the first one is the time to first token); the
 * server's timing is read from the completed event (llama-server's {@code timings}, vLLM's
 * {@code response.metrics}).
 *
 * <p>Not thread-safe for iteration; {@link #cancel()} may be called from any thread.
 */
public final class ResponseStream extends SseCallStream<ResponseEvent> {
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder reasoning = new StringBuilder();
  private final Map<String, String[]> calls = new LinkedHashMap<>(); // item id -> call id, name, arguments
  private @Nullable String id;
  private @Nullable ResponseResult result;
  private Map<String, Object> event = Map.of(); // the event being taken in, parsed once by decode

  ResponseStream(Call call, InputStream body, LongSupplier arrivalNanos, @Nullable Deadline deadline,
      Duration idleTimeout, ScheduledExecutorService watchdog, int maxEventBytes, LongSupplier roundTripNanos) {
    super(call, body, arrivalNanos, deadline, idleTimeout, watchdog, maxEventBytes, roundTripNanos);
  }

  @Override
  ResponseEvent decode(String data, long chunksBefore) {
    event = Json.parseObject(data, "responses event");
    return ResponsesCodec.decodeEvent(event, chunksBefore);
  }

  @Override
  boolean isOutput(ResponseEvent event) {
    return event.isOutput();
  }

  @Override
  void accept(ResponseEvent e, String data) {
    switch (e.kind()) {
      case CREATED -> {
        if (e.response() != null) {
          id = e.response().id();
        }
      }
      case OUTPUT_TEXT_DELTA -> text.append(e.delta());
      case REASONING_DELTA -> reasoning.append(e.delta());
      case OUTPUT_ITEM_ADDED -> {
        ToolCall opened = ResponsesCodec.openedCall(event);
        if (opened != null && e.itemId() != null) {
          calls.put(e.itemId(), new String[] {opened.id(), opened.name(), ""});
        }
      }
      case FUNCTION_CALL_ARGUMENTS_DELTA -> {
        String[] c = e.itemId() == null ? null : calls.get(e.itemId());
        if (c != null) {
          c[2] = c[2] + e.delta();
        }
      }
      case COMPLETED, INCOMPLETE -> {
        result = e.response();
        VllmClient.applyServerTiming(call, ResponsesCodec.serverTiming(event), roundTripNanos.getAsLong());
      }
      default -> { }
    }
  }

  @Override
  boolean isTerminal(ResponseEvent event) {
    return event.kind() == ResponseEvent.Kind.COMPLETED || event.kind() == ResponseEvent.Kind.INCOMPLETE;
  }

  @Override
  boolean complete() {
    return result != null;
  }

  @Override
  void record() {
    ResponseResult r = result();
    call.responseId(r.id());
    call.responseModel(r.model());
    call.tokens(r.usage().promptTokens(), r.usage().completionTokens());
    VllmClient.usageDetails(call, r.usage());
    if (r.status() != null) {
      call.finishReasons(List.of(r.incompleteReason() != null ? r.incompleteReason() : r.status()));
    }
    call.responseAttribute(InferenceAttributes.RESPONSE_TOOL_CALLS, (long) r.toolCalls().size());
  }

  /**
   * The response: the completed event's, with what the deltas held where it left out its output; before
   * the end, what has arrived so far.
   */
  public ResponseResult result() {
    ResponseResult r = result;
    List<ToolCall> streamed = new ArrayList<>();
    for (String[] c : calls.values()) {
      streamed.add(new ToolCall(streamed.size(), c[0], c[1], c[2]));
    }
    if (r == null) {
      return new ResponseResult(id, null, null, null, text.toString(), reasoning.toString(), streamed,
          Usage.UNKNOWN);
    }
    return new ResponseResult(r.id(), r.model(), r.status(), r.incompleteReason(),
        r.text().isEmpty() ? text.toString() : r.text(), r.reasoning().isEmpty() ? reasoning.toString() : r.reasoning(),
        r.toolCalls().isEmpty() ? streamed : r.toolCalls(), r.usage());
  }

  /** Reads the rest of the stream and returns the response. */
  public ResponseResult collect() {
    while (hasNext()) {
      next();
    }
    return result();
  }
}
