package dev.inferscope.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A response body read as a blocking {@link InputStream}, like the JDK's
 * {@code BodyHandlers.ofInputStream()}, but with a window of several buffers requested ahead instead of
 * one.
 *
 * <p>Why: the JDK's stream asks for one buffer at a time, so after every delivery the HTTP client has no
 * demand, stops reading the socket, and resumes (re-arming the selector and waking its thread) when the
 * reader asks again. A streamed completion delivers one small buffer per token, so that round trip is
 * paid per token: measured with a paced 256-token stream it made the client's CPU per token about twice
 * that of a client that reads the socket itself. With a window the client keeps reading and the reader
 * only takes buffers off a queue. Both HTTP clients (vLLM, Triton over HTTP) read their bodies through
 * it, streamed or not.
 *
 * <p>Memory stays bounded: at most {@code window} deliveries (each one read of the socket, up to the
 * HTTP client's buffer size, 16 KiB by default) wait unread. {@link InputStream#close()} from any
 * thread cancels the subscription (the HTTP client then closes the connection if the response has not
 * ended) and wakes a reader blocked in {@code read}, which fails with an {@link IOException}.
 *
 * <p>Each delivery is stamped with the time it arrived (on the clock given, {@link System#nanoTime()} by
 * default), and {@link #arrivalNanos(InputStream)} tells the reader when the bytes it is reading reached
 * the client: the time from there to the reader taking them is the client's, not the network's.
 */
public final class WindowedBodySubscriber implements HttpResponse.BodySubscriber<InputStream> {
  /** Default number of deliveries requested ahead. */
  public static final int DEFAULT_WINDOW = 4;

  /** One delivery of the HTTP client and when it arrived; the three markers are compared by identity. */
  private record Delivery(List<ByteBuffer> buffers, long arrivedNanos) {}

  private static final Delivery END = new Delivery(List.of(), -1);
  private static final Delivery FAILED = new Delivery(List.of(), -1);
  private static final Delivery CLOSED = new Delivery(List.of(), -1);

  private final int window;
  private final LongSupplier clock;
  private final LinkedBlockingQueue<Delivery> queue = new LinkedBlockingQueue<>();
  private final Body body = new Body();
  private final Object lock = new Object(); // guards setting the subscription and closing
  private volatile Flow.@Nullable Subscription subscription;
  private volatile boolean closed;
  private volatile @Nullable Throwable failure;
  private volatile long completedNanos = -1;

  /** A subscriber with {@link #DEFAULT_WINDOW}. */
  public WindowedBodySubscriber() {
    this(DEFAULT_WINDOW);
  }

  /** A subscriber that keeps {@code window} (at least 1) deliveries requested ahead. */
  public WindowedBodySubscriber(int window) {
    this(window, System::nanoTime);
  }

  /**
   * A subscriber that keeps {@code window} (at least 1) deliveries requested ahead and stamps each one
   * with {@code clock} (nanoseconds) as it arrives.
   */
  public WindowedBodySubscriber(int window, LongSupplier clock) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1");
    }
    this.window = window;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  private static final HttpResponse.BodyHandler<InputStream> DEFAULT_HANDLER =
      info -> new WindowedBodySubscriber(DEFAULT_WINDOW);

  /** A body handler that reads every response through a new subscriber with {@link #DEFAULT_WINDOW}. */
  public static HttpResponse.BodyHandler<InputStream> handler() {
    return DEFAULT_HANDLER;
  }

  /** A body handler that reads every response through a new subscriber with this window. */
  public static HttpResponse.BodyHandler<InputStream> handler(int window) {
    return info -> new WindowedBodySubscriber(window);
  }

  /**
   * A body handler that reads every response through a new subscriber with {@link #DEFAULT_WINDOW}
   * whose deliveries are stamped with {@code clock}.
   */
  public static HttpResponse.BodyHandler<InputStream> handler(LongSupplier clock) {
    Objects.requireNonNull(clock, "clock");
    return info -> new WindowedBodySubscriber(DEFAULT_WINDOW, clock);
  }

  /**
   * When the bytes that {@code body} (the stream of a subscriber of this class) is reading now reached
   * the client, on the subscriber's clock: the arrival of the delivery the last read took bytes from,
   * and once a read has met the end of the body, when the client learned of that end. -1 for any other
   * stream and before the first read.
   */
  public static long arrivalNanos(InputStream body) {
    return body instanceof Body b ? b.arrivedNanos : -1;
  }

  @Override
  public CompletionStage<InputStream> getBody() {
    return CompletableFuture.completedFuture(body);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    Objects.requireNonNull(s, "subscription");
    boolean cancel;
    synchronized (lock) {
      cancel = closed || subscription != null;
      if (!cancel) {
        subscription = s;
      }
    }
    if (cancel) {
      s.cancel();
    } else {
      s.request(window);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    queue.add(new Delivery(item, clock.getAsLong()));
  }

  @Override
  public void onError(Throwable t) {
    failure = Objects.requireNonNull(t, "throwable");
    queue.add(FAILED);
  }

  @Override
  public void onComplete() {
    completedNanos = clock.getAsLong();
    queue.add(END);
  }

  private void close() {
    Flow.Subscription s;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      s = subscription;
    }
    queue.add(CLOSED);
    if (s != null) {
      s.cancel();
    }
  }

  /** No lock on the reading path: after a cancel, a request is a no-op (Flow rule 3.6). */
  private void requestOne() {
    Flow.Subscription s = subscription;
    if (s != null && !closed) {
      s.request(1);
    }
  }

  /** The reading side. Single reader; {@link #close()} may come from any thread. */
  private final class Body extends InputStream {
    private @Nullable List<ByteBuffer> current;
    private int index;
    private boolean ended;
    private volatile long arrivedNanos = -1;

    /** The buffer to read from next, or null at the end of the body; throws when failed or closed. */
    private @Nullable ByteBuffer buffer() throws IOException {
      while (true) {
        if (ended) {
          return null;
        }
        List<ByteBuffer> list = current;
        if (list != null) {
          while (index < list.size()) {
            ByteBuffer b = list.get(index);
            if (b.hasRemaining()) {
              return b;
            }
            index++;
          }
          current = null;
          requestOne(); // one delivery consumed: keep the window full
        }
        if (closed) {
          throw new IOException("stream closed");
        }
        Delivery next;
        try {
          next = queue.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for the response body");
        }
        if (next == CLOSED) {
          throw new IOException("stream closed");
        }
        if (next == FAILED) {
          queue.add(FAILED); // later reads fail the same way
          Throwable t = failure;
          throw t instanceof IOException io ? io : new IOException(t);
        }
        if (next == END) {
          queue.add(END);
          ended = true;
          arrivedNanos = completedNanos;
          return null;
        }
        current = next.buffers();
        arrivedNanos = next.arrivedNanos();
        index = 0;
      }
    }

    @Override
    public int read() throws IOException {
      ByteBuffer b = buffer();
      return b == null ? -1 : b.get() & 0xff;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, dst.length);
      if (len == 0) {
        return 0;
      }
      ByteBuffer b = buffer();
      if (b == null) {
        return -1;
      }
      int n = Math.min(len, b.remaining());
      b.get(dst, off, n);
      return n;
    }

    @Override
    public int available() {
      List<ByteBuffer> list = current;
      if (list == null) {
        return 0;
      }
      long n = 0;
      for (int i = index; i < list.size(); i++) {
        n += list.get(i).remaining();
      }
      return (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public void close() {
      WindowedBodySubscriber.this.close();
    }
  }
}
