package dev.inferscope.vllm;

import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceAttributes;
import dev.inferscope.core.InferenceException;
import dev.inferscope.vllm.internal.OpenAiCodec;
import dev.inferscope.core.internal.SseReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.io.InputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A streamed chat or text completion: a blocking iterator over its chunks. Ends its call exactly once:
 * on {@code [DONE]}, on an error (server error event, malformed chunk, idle timeout, deadline, dropped
 * connection), or on {@link #cancel()} / {@link #close()} before the end, which closes the connection.
 *
 * <p>Not thread-safe for iteration; {@link #cancel()} may be called from any thread.
 */
public final class CompletionStream implements Iterator<StreamChunk>, AutoCloseable {
  private static final long DRAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  private static final int DRAIN_BYTES = 16 << 10;
  private final Call call;
  private final InputStream body;
  private final SseReader reader;
  private final boolean chat;
  private final @Nullable Deadline deadline;
  private final long idleTimeoutNanos;
  private final ScheduledExecutorService watchdog;
  private final StreamAccumulator accumulator;
  private @Nullable StreamChunk next;
  private volatile boolean done;
  private volatile @Nullable String timedOut;
  private volatile boolean cancelled;
  private @Nullable ScheduledFuture<?> timer;
  private volatile long lastActivityNanos = System.nanoTime();
  private volatile @Nullable InferenceException failure;
  private final LongSupplier roundTripNanos;
  private final int maxEventBytes;

  CompletionStream(Call call, InputStream body, boolean chat, @Nullable Deadline deadline, Duration idleTimeout,
      ScheduledExecutorService watchdog, int maxEventBytes, LongSupplier roundTripNanos) {
    this.roundTripNanos = roundTripNanos;
    this.maxEventBytes = maxEventBytes;
    this.call = call;
    this.body = body;
    this.reader = new SseReader(body, maxEventBytes);
    this.chat = chat;
    this.accumulator = new StreamAccumulator(chat);
    this.deadline = deadline;
    this.idleTimeoutNanos = idleTimeout.toNanos();
    this.watchdog = watchdog;
    arm();
  }

  /**
   * One timer per stream, not one per chunk: a chunk only writes {@link #lastActivityNanos}; when the
   * timer fires it either ends the stream (idle timeout or deadline) or sets itself again for what is
   * left. (Rescheduling per chunk piled cancelled tasks into the shared scheduler's queue: millions at
   * a few hundred streams a second with a 30 s idle timeout.)
   */
  private synchronized void arm() {
    if (done) {
      return;
    }
    long now = System.nanoTime();
    long idleLeft = lastActivityNanos + idleTimeoutNanos - now;
    long deadlineLeft = deadline == null ? Long.MAX_VALUE : deadline.remainingNanos();
    if (deadlineLeft <= 0) {
      expire("deadline expired while streaming");
      return;
    }
    if (idleLeft <= 0) {
      expire("no chunk arrived for " + Duration.ofNanos(idleTimeoutNanos) + " (idle timeout)");
      return;
    }
    timer = watchdog.schedule(this::arm, Math.min(idleLeft, deadlineLeft), TimeUnit.NANOSECONDS);
  }

  private void expire(String why) {
    timedOut = why;
    closeQuietly();
  }

  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (done) {
      InferenceException f = failure;
      if (f != null) {
        throw f;
      }
      return false;
    }
    next = read();
    return next != null;
  }

  @Override
  public StreamChunk next() {
    if (!hasNext()) {
      throw new NoSuchElementException("stream has ended");
    }
    StreamChunk c = next;
    next = null;
    return c;
  }

  private @Nullable StreamChunk read() {
    try {
      while (true) {
        SseReader.Event e;
        try {
          e = reader.next();
        } catch (SseReader.EventTooLargeException tooLarge) {
          throw fail(InferenceException.builder(ErrorType.PROTOCOL, "stream event larger than " + maxEventBytes + " bytes")
              .chunksReceived(call.chunks()).build());
        } catch (IOException io) {
          throw fail(interrupted(io));
        }
        if (e == null) {
          if (timedOut != null || cancelled) {
            throw fail(interrupted(null));
          }
          if (accumulator.anyFinished()) {
            finish(); // ended without [DONE] but every choice that finished said so
            return null;
          }
          throw fail(InferenceException.builder(ErrorType.UNAVAILABLE, "stream ended before completion")
              .chunksReceived(call.chunks()).retryable(false).build());
        }
        String data = e.data();
        if (data.equals("[DONE]")) {
          finish();
          return null;
        }
        long arrival = call.clock().nanoTime(); // taken at arrival, before parsing
        long before = call.chunks();
        lastActivityNanos = System.nanoTime();
        StreamChunk chunk;
        try {
          chunk = OpenAiCodec.decodeChunk(data, chat, before);
          if (carriesOutput(chunk)) {
            call.onChunk(arrival);
          }
          accept(chunk, data);
        } catch (InferenceException bad) {
          throw fail(bad.withChunksReceived(before));
        } catch (RuntimeException bad) {
          // anything else thrown while reading a chunk (its server timing included) ends the call with
          // the error the caller gets, once
          throw fail(InferenceException.builder(ErrorType.PROTOCOL, "could not read a stream chunk")
              .cause(bad).chunksReceived(before).retryable(false).build());
        }
        return chunk;
      }
    } catch (InferenceException ex) {
      throw ex;
    }
  }

  /**
   * Whether a chunk is an output chunk: it carries text, reasoning or a tool-call fragment (each is
   * generated tokens). llama-server's first chunk holds only the role
   * ({@code "delta":{"role":"assistant","content":null}}), its finish chunk an empty delta, and the
   * usage chunk no choices (b11669, {@code ../shared/peers/README.md}); none of them is output, so the
   * chunk count equals the output tokens and the first chunk's time is a time to first token.
   */
  private static boolean carriesOutput(StreamChunk chunk) {
    for (Choice c : chunk.choices()) {
      if (c.hasOutput()) {
        return true;
      }
    }
    return false;
  }

  private void accept(StreamChunk chunk, String data) {
    accumulator.accept(chunk);
    if (data.contains("\"timings\"") || data.contains("\"metrics\"")) {
      // the byte form never throws: timing a server got wrong is left out, the chunk is still delivered
      OpenAiCodec.ServerTiming t = OpenAiCodec.serverTiming(data.getBytes(StandardCharsets.UTF_8));
      VllmClient.applyServerTiming(call, t, roundTripNanos.getAsLong());
    }
  }

  private InferenceException interrupted(@Nullable IOException cause) {
    if (cancelled) {
      return InferenceException.builder(ErrorType.CANCELLED, "stream cancelled").chunksReceived(call.chunks())
          .cause(cause).build();
    }
    String why = timedOut;
    if (why != null) {
      return InferenceException.builder(ErrorType.DEADLINE_EXCEEDED, why).chunksReceived(call.chunks())
          .cause(cause).build();
    }
    return InferenceException.builder(ErrorType.UNAVAILABLE, "connection lost while streaming")
        .chunksReceived(call.chunks()).retryable(false).cause(cause).build();
  }

  private void record() {
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

  private synchronized void stopTimer() {
    done = true;
    if (timer != null) {
      timer.cancel(false);
    }
  }

  private void finish() {
    stopTimer();
    record();
    call.end();
    drainThenClose();
  }

  /**
   * After {@code [DONE]} the server ends the response at once. Reading that end (a few bytes) lets the
   * HTTP client put the connection back in its pool; closing before it would throw the connection away
   * and make the next call connect (and handshake) again. The drain is bounded in bytes and in time.
   */
  private void drainThenClose() {
    ScheduledFuture<?> guard = watchdog.schedule(this::closeQuietly, DRAIN_NANOS, TimeUnit.NANOSECONDS);
    try {
      byte[] sink = new byte[256];
      int left = DRAIN_BYTES;
      int n;
      while (left > 0 && (n = body.read(sink, 0, Math.min(sink.length, left))) >= 0) {
        left -= n;
      }
    } catch (IOException ignored) {
      // the connection is gone; it would have been closed anyway
    } finally {
      guard.cancel(false);
      closeQuietly();
    }
  }

  private InferenceException fail(InferenceException e) {
    synchronized (this) {
      InferenceException first = failure;
      if (first != null) {
        return first; // cancelled (or failed) already: the reader gets what the call ended with
      }
      failure = e;
    }
    stopTimer();
    record();
    closeQuietly();
    call.end(e);
    return e;
  }

  /**
   * Cancels the stream: closes the connection and ends the call as cancelled. Idempotent. A reader (on
   * any thread) then gets {@link ErrorType#CANCELLED} from {@link #hasNext()}, so a cancelled stream is
   * never mistaken for a complete one.
   */
  public void cancel() {
    abort(InferenceException.builder(ErrorType.CANCELLED, "stream cancelled").retryable(false).build());
  }

  /** Ends the stream with {@code why} (CANCELLED is recorded as a cancellation), closing the connection. */
  void abort(InferenceException why) {
    synchronized (this) {
      if (done || failure != null) {
        return;
      }
      cancelled = true;
      failure = why.withChunksReceived(call.chunks());
    }
    stopTimer();
    closeQuietly();
    record();
    InferenceException f = failure;
    if (why.errorType() == ErrorType.CANCELLED) {
      call.cancel();
    } else {
      call.end(f == null ? why : f);
    }
  }

  /** Cancels the stream if it has not ended. */
  @Override
  public void close() {
    cancel();
  }

  private void closeQuietly() {
    try {
      body.close();
    } catch (IOException ignored) {
      // closing aborts the exchange; nothing more to do
    }
  }

  /** Chunks received so far. */
  public long chunks() {
    return call.chunks();
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

  @Override
  public String toString() {
    return "CompletionStream[" + call.descriptor().spanName() + ", chunks=" + call.chunks()
        + (done ? ", done" : "") + "]";
  }
}
