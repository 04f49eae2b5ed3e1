package dev.inferscope.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class WindowedBodySubscriberTest {

  /** Counts what the subscriber asks for; the test plays the HTTP client. */
  private static final class Upstream implements Flow.Subscription {
    final AtomicLong requested = new AtomicLong();
    final AtomicBoolean cancelled = new AtomicBoolean();

    @Override
    public void request(long n) {
      requested.addAndGet(n);
    }

    @Override
    public void cancel() {
      cancelled.set(true);
    }
  }

  private static List<ByteBuffer> bytes(String... parts) {
    return java.util.Arrays.stream(parts).map(p -> ByteBuffer.wrap(p.getBytes(StandardCharsets.UTF_8))).toList();
  }

  /** Returns once the thread waits (parked in the body's queue); the class timeout bounds it. */
  private static void awaitParked(Thread t) {
    while (t.getState() != Thread.State.WAITING) {
      assertThat(t.isAlive()).as("reader thread ended before it waited").isTrue();
      Thread.onSpinWait();
    }
  }

  private static InputStream body(WindowedBodySubscriber s) {
    return s.getBody().toCompletableFuture().join();
  }

  @Test
  void tellsTheReaderWhenTheBytesItReadsArrivedAndWhenTheEndDid() throws IOException {
    AtomicLong clock = new AtomicLong(1_000);
    WindowedBodySubscriber s = new WindowedBodySubscriber(4, clock::get);
    s.onSubscribe(new Upstream());
    InputStream in = body(s);
    assertThat(WindowedBodySubscriber.arrivalNanos(in)).as("before the first read").isEqualTo(-1);
    s.onNext(bytes("ab"));
    clock.set(2_000);
    s.onNext(bytes("cd"));
    clock.set(3_000);
    s.onComplete();
    clock.set(9_000); // the reader comes late: what it reads still arrived when it did
    assertThat(in.read()).isEqualTo('a');
    assertThat(WindowedBodySubscriber.arrivalNanos(in)).isEqualTo(1_000);
    assertThat(in.read()).isEqualTo('b');
    assertThat(WindowedBodySubscriber.arrivalNanos(in)).isEqualTo(1_000);
    assertThat(in.read()).isEqualTo('c');
    assertThat(WindowedBodySubscriber.arrivalNanos(in)).isEqualTo(2_000);
    assertThat(in.readAllBytes()).containsExactly('d');
    assertThat(WindowedBodySubscriber.arrivalNanos(in)).as("the end of the body").isEqualTo(3_000);
    assertThat(WindowedBodySubscriber.arrivalNanos(new java.io.ByteArrayInputStream(new byte[1])))
        .as("another stream").isEqualTo(-1);
  }

  @Test
  void keepsItsWindowRequestedAheadAndReadsEveryByteInOrder() throws IOException {
    WindowedBodySubscriber s = new WindowedBodySubscriber(3);
    Upstream up = new Upstream();
    s.onSubscribe(up);
    assertThat(up.requested.get()).isEqualTo(3);
    s.onNext(bytes("da", "ta: ", ""));
    s.onNext(bytes("one\n\n"));
    s.onNext(bytes("data: two\n\n"));
    InputStream in = body(s);
    byte[] first = new byte[4];
    assertThat(in.read(first, 0, 4)).isEqualTo(2); // one read never spans buffers
    assertThat(new String(first, 0, 2, StandardCharsets.UTF_8)).isEqualTo("da");
    // nothing is asked for until a whole delivery has been read
    assertThat(up.requested.get()).isEqualTo(3);
    assertThat(new String(in.readNBytes(13), StandardCharsets.UTF_8)).isEqualTo("ta: one\n\ndata");
    // two deliveries consumed, two more asked for: the client never runs out of demand
    assertThat(up.requested.get()).isEqualTo(5);
    s.onComplete();
    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(": two\n\n");
    assertThat(in.read()).isEqualTo(-1);
    assertThat(in.read(new byte[8], 0, 8)).isEqualTo(-1);
    assertThat(up.cancelled).isFalse();
  }

  @Test
  void aFailedBodyFailsEveryReadWithTheCause() throws IOException {
    WindowedBodySubscriber s = new WindowedBodySubscriber();
    s.onSubscribe(new Upstream());
    s.onNext(bytes("ab"));
    IOException reset = new IOException("connection reset");
    s.onError(reset);
    InputStream in = body(s);
    assertThat(in.read()).isEqualTo('a');
    assertThat(in.read()).isEqualTo('b');
    assertThatThrownBy(in::read).isSameAs(reset);
    assertThatThrownBy(in::read).isSameAs(reset);
    WindowedBodySubscriber other = new WindowedBodySubscriber();
    other.onSubscribe(new Upstream());
    other.onError(new IllegalStateException("not an IOException"));
    assertThatThrownBy(() -> body(other).read()).isInstanceOf(IOException.class)
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void closingFromAnotherThreadWakesABlockedReaderAndCancelsTheExchange() throws Exception {
    WindowedBodySubscriber s = new WindowedBodySubscriber();
    Upstream up = new Upstream();
    s.onSubscribe(up);
    InputStream in = body(s);
    CompletableFuture<Throwable> reader = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        in.read();
        reader.complete(null);
      } catch (Throwable e) {
        reader.complete(e);
      }
    });
    t.start();
    awaitParked(t);
    assertThat(reader).isNotDone(); // blocked: nothing has arrived
    in.close();
    assertThat(reader.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class).hasMessageContaining("closed");
    assertThat(up.cancelled).isTrue();
    s.onNext(bytes("late")); // the client may still deliver what was in flight
    assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
    long asked = up.requested.get();
    in.close(); // idempotent
    assertThat(up.requested.get()).isEqualTo(asked);
  }

  @Test
  void closedBeforeTheSubscriptionArrivesCancelsIt() {
    WindowedBodySubscriber s = new WindowedBodySubscriber();
    InputStream in = body(s);
    try {
      in.close();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    Upstream up = new Upstream();
    s.onSubscribe(up);
    assertThat(up.cancelled).isTrue();
    assertThat(up.requested.get()).isZero();
    Upstream second = new Upstream();
    WindowedBodySubscriber fresh = new WindowedBodySubscriber();
    fresh.onSubscribe(new Upstream());
    fresh.onSubscribe(second); // a second subscription is a protocol error upstream: refuse it
    assertThat(second.cancelled).isTrue();
  }

  @Test
  void anInterruptedReaderGetsAnInterruptedIoExceptionAndKeepsItsFlag() throws Exception {
    WindowedBodySubscriber s = new WindowedBodySubscriber();
    s.onSubscribe(new Upstream());
    InputStream in = body(s);
    CompletableFuture<Object[]> result = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        in.read();
        result.complete(new Object[] {null, false});
      } catch (Throwable e) {
        result.complete(new Object[] {e, Thread.currentThread().isInterrupted()});
      }
    });
    t.start();
    awaitParked(t); // interrupt the wait itself, not the way to it
    t.interrupt();
    Object[] r = result.get(5, TimeUnit.SECONDS);
    assertThat(r[0]).isInstanceOf(InterruptedIOException.class);
    assertThat(r[1]).isEqualTo(true);
  }

  @Test
  void rejectsAnEmptyWindow() {
    assertThatThrownBy(() -> new WindowedBodySubscriber(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(WindowedBodySubscriber.handler(2)).isNotNull();
  }
}
