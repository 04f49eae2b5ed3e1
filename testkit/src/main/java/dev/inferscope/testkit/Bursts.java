package dev.inferscope.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The backlog scenario of the accuracy tests: rounds in which {@code callers} calls start at once and the
 * round ends when all have; the first {@code warmUpRounds} are run and then {@code afterWarmUp} is called
 * (typically to reset a telemetry capture, so that only warm calls are counted).
 */
public final class Bursts {
  private Bursts() {}

  /**
   * Runs the rounds; a call that fails, or does not end within a minute, fails the run.
   *
   * @throws Exception the first call's failure
   */
  public static void run(int callers, int rounds, int warmUpRounds, Runnable afterWarmUp, Callable<?> call)
      throws Exception {
    if (callers < 1 || rounds < 1 || warmUpRounds < 0 || warmUpRounds >= rounds) {
      throw new IllegalArgumentException("callers " + callers + ", rounds " + rounds + ", warm-up " + warmUpRounds);
    }
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      for (int round = 0; round < rounds; round++) {
        if (round == warmUpRounds) {
          afterWarmUp.run();
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
          fs.add(pool.submit(() -> {
            go.await();
            return call.call();
          }));
        }
        go.countDown();
        for (Future<?> f : fs) {
          f.get(60, TimeUnit.SECONDS);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
