package dev.inferscope.examples.quickstart;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs callers in parallel for a fixed time and prints a progress line once a second. Each caller
 * repeats its call until the time is up; a failed call is counted by the telemetry listener and the
 * caller goes on.
 */
final class Workload {
  /** One kind of call and how many callers make it at once. */
  record Task(String name, int callers, Runnable call) {}

  private final List<Task> tasks = new ArrayList<>();

  Workload add(String name, int callers, Runnable call) {
    if (callers > 0) {
      tasks.add(new Task(name, callers, call));
    }
    return this;
  }

  boolean isEmpty() {
    return tasks.isEmpty();
  }

  String describe() {
    StringBuilder sb = new StringBuilder();
    for (Task t : tasks) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(t.callers()).append(" × ").append(t.name());
    }
    return sb.toString();
  }

  private final java.util.concurrent.atomic.AtomicReference<String> firstFailure =
      new java.util.concurrent.atomic.AtomicReference<>();

  /** The message of the first failed call (Inferscope's messages are scrubbed and capped), or null. */
  String firstFailure() {
    return firstFailure.get();
  }

  /** Runs every task for {@code duration}; returns when all callers have stopped. */
  void run(Duration duration, Breakdown breakdown, PrintStream out) throws InterruptedException {
    run(duration, () -> false, breakdown, out);
  }

  /**
   * Runs every task for at most {@code duration}, or until {@code enough} (asked once a second) says so;
   * returns when all callers have stopped.
   */
  void run(Duration duration, java.util.function.BooleanSupplier enough, Breakdown breakdown, PrintStream out)
      throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger inFlight = new AtomicInteger();
    int total = tasks.stream().mapToInt(Task::callers).sum();
    CountDownLatch done = new CountDownLatch(total);
    List<Thread> threads = new ArrayList<>(total);
    for (Task t : tasks) {
      for (int i = 0; i < t.callers(); i++) {
        Thread th = new Thread(() -> {
          try {
            while (!stop.get()) {
              inFlight.incrementAndGet();
              try {
                t.call().run();
              } catch (RuntimeException e) {
                // counted by the telemetry listener as a failed call; the first message is kept to be shown
                firstFailure.compareAndSet(null, e.getMessage());
              } finally {
                inFlight.decrementAndGet();
              }
            }
          } finally {
            done.countDown();
          }
        }, "quickstart-" + t.name() + "-" + i);
        th.setDaemon(true);
        threads.add(th);
      }
    }
    long start = System.nanoTime();
    long end = start + duration.toNanos();
    threads.forEach(Thread::start);
    long seconds = Math.max(1, duration.toSeconds());
    while (true) {
      long now = System.nanoTime();
      if (now >= end) {
        break;
      }
      // a progress line once a second (or at the end)
      boolean finished = done.await(Math.min(1_000_000_000L, end - now), TimeUnit.NANOSECONDS);
      long elapsed = Math.min(seconds, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
      out.printf(Locale.ROOT, "\r  %2d/%d s   calls: %6d ok, %4d failed   in flight: %3d ", elapsed, seconds,
          breakdown.succeeded(), breakdown.failed(), inFlight.get());
      out.flush();
      if (finished || enough.getAsBoolean()) {
        break;
      }
    }
    stop.set(true);
    // callers finish their current call (bounded by the call deadlines)
    if (!done.await(30, TimeUnit.SECONDS)) {
      out.println();
      out.println("  some callers did not stop within 30 s; going on");
    }
    out.printf(Locale.ROOT, "\r  %2d/%d s   calls: %6d ok, %4d failed   in flight: %3d %n", seconds, seconds,
        breakdown.succeeded(), breakdown.failed(), inFlight.get());
  }
}
