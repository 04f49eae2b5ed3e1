package dev.inferscope.vllm;

import dev.inferscope.core.InferenceException;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A {@link Flow.Publisher} over a streamed call ({@link CompletionStream}, {@link ResponseStream}): one
 * subscriber per publisher, events read only on demand (a blocked reader is back-pressure on the
 * connection), cancellation closes the stream.
 *
 * @param <E> the event type
 */
final class StreamPublisher<E> implements Flow.Publisher<E> {
  private final Supplier<? extends SseCallStream<E>> opener;
  private final Executor executor;
  private final AtomicBoolean subscribed = new AtomicBoolean();

  StreamPublisher(Supplier<? extends SseCallStream<E>> opener, Executor executor) {
    this.opener = opener;
    this.executor = executor;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super E> subscriber) {
    Objects.requireNonNull(subscriber, "subscriber");
    if (!subscribed.compareAndSet(false, true)) {
      subscriber.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {}

        @Override
        public void cancel() {}
      });
      subscriber.onError(new IllegalStateException("this publisher allows one subscriber"));
      return;
    }
    Subscription s = new Subscription(subscriber);
    subscriber.onSubscribe(s);
    executor.execute(s::run);
  }

  private final class Subscription implements Flow.Subscription {
    private final Flow.Subscriber<? super E> subscriber;
    private long demand;
    private boolean cancelled;
    private SseCallStream<E> stream;

    Subscription(Flow.Subscriber<? super E> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
      synchronized (this) {
        if (n <= 0) {
          cancelled = true;
          notifyAll();
          subscriber.onError(new IllegalArgumentException("request(" + n + ") must be positive (rule 3.9)"));
          return;
        }
        demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        notifyAll();
      }
    }

    @Override
    public void cancel() {
      SseCallStream<E> s;
      synchronized (this) {
        cancelled = true;
        s = stream;
        notifyAll();
      }
      if (s != null) {
        s.cancel();
      }
    }

    void run() {
      SseCallStream<E> s;
      try {
        s = opener.get();
      } catch (RuntimeException e) {
        signalError(InferenceException.from(e));
        return;
      }
      synchronized (this) {
        stream = s;
        if (cancelled) {
          s.cancel();
          return;
        }
      }
      try {
        while (true) {
          synchronized (this) {
            while (demand == 0 && !cancelled) {
              wait();
            }
            if (cancelled) {
              s.cancel();
              return;
            }
            demand--;
          }
          if (!s.hasNext()) {
            try {
              subscriber.onComplete();
            } catch (RuntimeException ignored) {
              // the stream has ended; a subscriber that throws here breaks rule 2.13 and has nothing left to get
            }
            return;
          }
          E chunk = s.next();
          try {
            subscriber.onNext(chunk);
          } catch (RuntimeException e) {
            // Rule 2.13: a subscriber that throws from onNext has broken the contract; the subscription is
            // cancelled (connection closed, call ended as cancelled by the client) and it is told once.
            synchronized (this) {
              cancelled = true;
            }
            s.abort(InferenceException.builder(dev.inferscope.core.ErrorType.CANCELLED,
                "the subscriber threw " + e.getClass().getSimpleName() + " from onNext").cause(e).build());
            signalError(e);
            return;
          }
        }
      } catch (InferenceException e) {
        synchronized (this) {
          if (cancelled) {
            return;
          }
        }
        signalError(e);
      } catch (RuntimeException e) { // not from the stream's own reading, which throws InferenceException
        s.cancel();
        signalError(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        s.cancel();
      }
    }

    private void signalError(Throwable e) {
      try {
        subscriber.onError(e);
      } catch (RuntimeException ignored) {
        // rule 2.13 again: nothing more can be signalled
      }
    }
  }
}
