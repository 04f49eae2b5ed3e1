package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.InferenceException;
import dev.inferscope.spring.InferenceEndpoints;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.springframework.beans.factory.DisposableBean;

/**
 * Runs readiness probes on a small daemon pool so that each one can be abandoned after its timeout. The
 * reason of a failure holds the error type or exception class only: server messages can echo input.
 */
final class ReadinessProbes implements DisposableBean {
  private final ExecutorService executor;

  ReadinessProbes() {
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "inferscope-readiness-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  InferenceEndpoints.Readiness run(Supplier<InferenceEndpoints.Readiness> probe, Duration timeout) {
    CompletableFuture<InferenceEndpoints.Readiness> f;
    try {
      f = CompletableFuture.supplyAsync(probe, executor);
    } catch (RuntimeException e) {
      return InferenceEndpoints.Readiness.failed("probe not started: " + e.getClass().getSimpleName());
    }
    try {
      return f.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      return InferenceEndpoints.Readiness.failed("no answer within " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return InferenceEndpoints.Readiness.failed("interrupted");
    } catch (ExecutionException e) {
      return InferenceEndpoints.Readiness.failed(describe(e.getCause()));
    }
  }

  static String describe(Throwable t) {
    if (t instanceof InferenceException ie) {
      return ie.errorType().tagValue();
    }
    return t == null ? "unknown" : t.getClass().getSimpleName();
  }

  @Override
  public void destroy() {
    executor.shutdownNow();
  }
}
