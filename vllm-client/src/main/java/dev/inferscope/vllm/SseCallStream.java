package dev.inferscope.vllm;

import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.Phase;
import dev.inferscope.core.internal.SseReader;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A streamed call over server-sent events: a blocking iterator over its decoded events that ends its call
 * exactly once: on the end of the stream ({@code [DONE]}, or a terminal event), on an error (server error
 * event, malformed event, idle timeout, deadline, dropped connection), or on {@link #cancel()} /
 * {@link #close()} before the end, which closes the connection. {@link CompletionStream} (chat and text
 * completions) and {@link ResponseStream} (the Responses API) differ only in how an event is decoded,
 * which events are output and which one ends the stream.
 *
 * <p>When the stream ends as it should, the time from the arrival at the HTTP client of the bytes that
 * ended it to the reader taking them is the client's ({@link Phase#DESERIALIZE}), not the network's: a
 * reader that falls behind the server, or a busy machine that is slow to wake it, is told apart from a
 * slow transport.
 *
 * <p>Not thread-safe for iteration; {@link #cancel()} may be called from any thread.
 *
 * @param <E> the decoded event
 */
abstract class SseCallStream<E> implements Iterator<E>, AutoCloseable {
  private static final long DRAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
  private static final int DRAIN_BYTES = 16 << 10;
  final Call call;
  private final InputStream body;
  private final SseReader reader;
  private final @Nullable Deadline deadline;
  private final long idleTimeoutNanos;
  private final ScheduledExecutorService watchdog;
  private @Nullable E next;
  private volatile boolean done;
  private volatile @Nullable String timedOut;
  private volatile boolean cancelled;
  private @Nullable ScheduledFuture<?> timer;
  private volatile long lastActivityNanos = System.nanoTime();
  private volatile @Nullable InferenceException failure;
  final LongSupplier roundTripNanos;
  private final LongSupplier arrivalNanos;
  private final int maxEventBytes;

  /**
   * @param arrivalNanos when the bytes the reader of {@code body} has reached arrived at the client, on
   *     the call's clock, or -1 when unknown ({@link dev.inferscope.core.internal.http.HttpLayer.Stream#arrivalNanos})
   */
  SseCallStream(Call call, InputStream body, LongSupplier arrivalNanos, @Nullable Deadline deadline,
      Duration idleTimeout, ScheduledExecutorService watchdog, int maxEventBytes, LongSupplier roundTripNanos) {
    this.roundTripNanos = roundTripNanos;
    this.arrivalNanos = arrivalNanos;
    this.maxEventBytes = maxEventBytes;
    this.call = call;
    this.body = body;
    this.reader = new SseReader(body, maxEventBytes);
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
  public E next() {
    if (!hasNext()) {
      throw new NoSuchElementException("stream has ended");
    }
    E c = next;
    next = null;
    return c;
  }

  /** Decodes one event's data; throws {@link InferenceException} for a malformed or error event. */
  abstract E decode(String data, long chunksBefore);

  /** Whether the event carries generated output (counted as a chunk; the first one is the time to first token). */
  abstract boolean isOutput(E event);

  /** Takes in an event that was decoded (accumulates it, reads server timing). */
  abstract void accept(E event, String data);

  /** Whether the event ends the stream (it is delivered, and the call ends as it arrives). */
  boolean isTerminal(E event) {
    return false;
  }

  /** Whether the stream may end without its terminal event (every choice said why it finished). */
  abstract boolean complete();

  /** Puts what the stream held (ids, usage, finish reasons, counts) into the call, once, before it ends. */
  abstract void record();

  private @Nullable E read() {
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
          if (complete()) {
            finish(); // ended without [DONE] but the stream had said it was complete
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
        E chunk;
        try {
          chunk = decode(data, before);
          if (isOutput(chunk)) {
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
        if (isTerminal(chunk)) {
          finish();
        }
        return chunk;
      }
    } catch (InferenceException ex) {
      throw ex;
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

  private synchronized void stopTimer() {
    done = true;
    if (timer != null) {
      timer.cancel(false);
    }
  }

  private void finish() {
    call.endTaken(arrivalNanos.getAsLong());
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

  /** Output chunks received so far. */
  public long chunks() {
    return call.chunks();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + call.descriptor().spanName() + ", chunks=" + call.chunks()
        + (done ? ", done" : "") + "]";
  }
}
