package dev.inferscope.vllm;

import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.InferenceAttributes;
import dev.inferscope.vllm.internal.OpenAiCodec;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A streamed chat or text completion: a blocking iterator over its chunks. Ends its call exactly once:
 * on {@code [DONE]}, on an error (server error event, malformed chunk, idle timeout, deadline, dropped
 * connection), or on {@link #cancel()} / {@link #close()} before the end, which closes the connection.
 *
 * <p>Not thread-safe for iteration; {@link #cancel()} may be called from any thread.
 */
public final class CompletionStream extends SseCallStream<StreamChunk> {
  private final boolean chat;
  private final StreamAccumulator accumulator;
  private final Estimator estimator;
  private boolean timed;

  /** Estimates a call's server timing from the server's statistics, when its stream carried none. */
  @FunctionalInterface
  interface Estimator {
    void estimate(Call call, long outputTokens, int choices, boolean stream);
  }

  CompletionStream(Call call, InputStream body, LongSupplier arrivalNanos, boolean chat, @Nullable Deadline deadline,
      Duration idleTimeout, ScheduledExecutorService watchdog, int maxEventBytes, LongSupplier roundTripNanos,
      Estimator estimator) {
    super(call, body, arrivalNanos, deadline, idleTimeout, watchdog, maxEventBytes, roundTripNanos);
    this.chat = chat;
    this.accumulator = new StreamAccumulator(chat);
    this.estimator = estimator;
  }

  @Override
  StreamChunk decode(String data, long chunksBefore) {
    return OpenAiCodec.decodeChunk(data, chat, chunksBefore);
  }

  /**
   * Whether a chunk is an output chunk: it carries text, reasoning or a tool-call fragment (each is
   * generated tokens). llama-server's first chunk holds only the role
   * ({@code "delta":{"role":"assistant","content":null}}), its finish chunk an empty delta, and the
   * usage chunk no choices (b11669, {@code ../shared/peers/README.md}); none of them is output, so the
   * chunk count equals the output tokens and the first chunk's time is a time to first token.
   */
  @Override
  boolean isOutput(StreamChunk chunk) {
    for (Choice c : chunk.choices()) {
      if (c.hasOutput()) {
        return true;
      }
    }
    return false;
  }

  @Override
  void accept(StreamChunk chunk, String data) {
    accumulator.accept(chunk);
    if (data.contains("\"timings\"") || data.contains("\"metrics\"")) {
      // the byte form never throws: timing a server got wrong is left out, the chunk is still delivered
      OpenAiCodec.ServerTiming t = OpenAiCodec.serverTiming(data.getBytes(StandardCharsets.UTF_8));
      VllmClient.applyServerTiming(call, t, roundTripNanos.getAsLong());
      timed |= t.known();
    }
  }

  @Override
  boolean complete() {
    return accumulator.anyFinished();
  }

  @Override
  void record() {
    if (!timed && accumulator.anyFinished()) {
      // output tokens: the usage's when sent, else the output chunks (one token each)
      long tokens = accumulator.usage().completionTokens() >= 0 ? accumulator.usage().completionTokens() : call.chunks();
      estimator.estimate(call, tokens, accumulator.choiceCount(), true);
    }
    call.responseId(accumulator.id());
    call.responseModel(accumulator.model());
    Usage usage = accumulator.usage();
    call.tokens(usage.promptTokens(), usage.completionTokens());
    VllmClient.usageDetails(call, usage);
    List<String> reasons = accumulator.finishReasons();
    if (!reasons.isEmpty()) {
      call.finishReasons(reasons);
    }
    if (chat) {
      call.responseAttribute(InferenceAttributes.RESPONSE_TOOL_CALLS, (long) accumulator.toolCallCount());
    }
    if (accumulator.choiceCount() > 1) {
      call.responseAttribute(InferenceAttributes.RESPONSE_CHOICES, (long) accumulator.choiceCount());
    }
  }

  /**
   * Reads the rest of the stream and returns everything it held as one completion: per choice the
   * concatenated text and reasoning, the tool calls assembled from their fragments, the log
   * probabilities and the finish reason; the usage (see {@link StreamAccumulator}).
   */
  public Completion collect() {
    while (hasNext()) {
      next();
    }
    return accumulator.completion();
  }
}
