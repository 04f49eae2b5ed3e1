package dev.inferscope.testkit;

import dev.inferscope.core.InferenceClock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The system clock plus jumps that a test makes, for checking where the time between a response
 * reaching the client and its reader taking it is billed, without sleeping: the test {@link #arm()}s the
 * clock before a call, waits in {@link #awaitBodyEnd} until the HTTP client has stamped the end of a
 * response body (core's {@code WindowedBodySubscriber} reads the call's clock when the body completes),
 * or until another named method reads the clock ({@link #arm(String, String)}: a gRPC listener stamping a
 * message), then {@link #jump}s, so the reader takes what had arrived exactly that much later.
 * Thread-safe.
 */
public final class HandOffClock implements InferenceClock {
  private static final StackWalker WALKER = StackWalker.getInstance();
  private final long baseNanos = System.nanoTime();
  private final long baseEpochNanos = System.currentTimeMillis() * 1_000_000L;
  private final AtomicLong jumped = new AtomicLong();
  private volatile CountDownLatch bodyEnd = new CountDownLatch(0);
  private volatile String className = "";
  private volatile String methodName = "";

  @Override
  public long nanoTime() {
    long now = System.nanoTime() + jumped.get(); // read first: a jump the test makes after this read comes later
    CountDownLatch end = bodyEnd;
    if (end.getCount() > 0 && WALKER.walk(frames -> frames.anyMatch(
        f -> f.getClassName().equals(className) && f.getMethodName().equals(methodName)))) {
      end.countDown();
    }
    return now;
  }

  @Override
  public long epochNanos() {
    return baseEpochNanos + (System.nanoTime() + jumped.get() - baseNanos);
  }

  @Override
  public void sleepNanos(long nanos) throws InterruptedException {
    InferenceClock.system().sleepNanos(nanos);
  }

  /** From now on, the next end of a response body that the HTTP client stamps releases {@link #awaitBodyEnd}. */
  public void arm() {
    arm("dev.inferscope.core.internal.WindowedBodySubscriber", "onComplete");
  }

  /** From now on, the next clock read from {@code method} of {@code className} releases {@link #awaitBodyEnd}. */
  public void arm(String className, String method) {
    this.className = className;
    this.methodName = method;
    bodyEnd = new CountDownLatch(1);
  }

  /** Waits until the end of a response body (or the armed method's read) since arming; false on timeout. */
  public boolean awaitBodyEnd(Duration timeout) throws InterruptedException {
    return bodyEnd.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Moves the clock forward by {@code amount} (not negative). */
  public void jump(Duration amount) {
    if (amount.isNegative()) {
      throw new IllegalArgumentException("a clock does not go back: " + amount);
    }
    jumped.addAndGet(amount.toNanos());
  }
}
