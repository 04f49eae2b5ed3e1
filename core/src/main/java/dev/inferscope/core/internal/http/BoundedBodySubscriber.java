package dev.inferscope.core.internal.http;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import org.jspecify.annotations.Nullable;

/**
 * Collects a response body into one array of at most {@code cap} bytes, without blocking a thread. Past
 * the cap it either fails (a success body: PROTOCOL, not retried, the exchange is cancelled at once, so a
 * 400 MiB body never reaches memory) or stops collecting and completes with what it has (an error body,
 * read only for its message). {@link #abort} cancels the subscription from any thread.
 */
final class BoundedBodySubscriber implements HttpResponse.BodySubscriber<byte[]> {
  private final long cap;
  private final boolean truncate;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private volatile Flow.@Nullable Subscription subscription;
  private volatile boolean aborted;
  private byte[] buf;
  private int size;

  BoundedBodySubscriber(long cap, boolean truncate, long contentLength) {
    this.cap = cap;
    this.truncate = truncate;
    // presize from Content-Length when it is within the cap (a lying length only costs the cap)
    this.buf = new byte[(int) Math.max(256, Math.min(contentLength > 0 ? contentLength : 8192, Math.min(cap, 1 << 20)))];
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (aborted) {
      s.cancel();
    } else {
      s.request(Long.MAX_VALUE); // bounded by the cap below: past it the subscription is cancelled
    }
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      int n = b.remaining();
      if (size + (long) n > cap) {
        if (truncate) {
          int keep = (int) (cap - size);
          append(b, keep);
          complete();
        } else {
          result.completeExceptionally(InferenceException.builder(ErrorType.PROTOCOL,
              "response larger than " + cap + " bytes").retryable(false).build());
        }
        cancel();
        return;
      }
      append(b, n);
    }
  }

  private void append(ByteBuffer b, int n) {
    if (size + n > buf.length) {
      long want = Math.max((long) buf.length * 2, (long) size + n);
      buf = java.util.Arrays.copyOf(buf, (int) Math.min(want, Math.min(cap, Integer.MAX_VALUE - 8)));
    }
    b.get(buf, size, n);
    size += n;
  }

  private void complete() {
    result.complete(size == buf.length ? buf : java.util.Arrays.copyOf(buf, size));
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    complete();
  }

  /**
   * Cancels the subscription (the HTTP client then closes the connection) and fails the body, so that a
   * caller blocked in the client's {@code send} returns.
   */
  void abort() {
    aborted = true;
    result.completeExceptionally(new java.io.IOException("response body aborted"));
    cancel();
  }

  private void cancel() {
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
