package dev.inferscope.core.internal;

import dev.inferscope.core.InferenceException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Future helpers. Internal API: not for use outside Inferscope, may change without notice. */
public final class Futures {
  private Futures() {}

  /**
   * {@code src} mapped by {@code fn} (which may throw: the result then fails with it as an
   * {@link InferenceException}); unlike {@code thenApply}, cancelling the result cancels {@code src}.
   */
  public static <S, T> CompletableFuture<T> map(CompletableFuture<S> src, Function<S, T> fn) {
    CompletableFuture<T> out = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        src.cancel(true);
        return super.cancel(mayInterruptIfRunning);
      }
    };
    src.whenComplete((r, t) -> {
      if (t != null) {
        out.completeExceptionally(InferenceException.from(t));
        return;
      }
      try {
        out.complete(fn.apply(r));
      } catch (RuntimeException e) {
        out.completeExceptionally(InferenceException.from(e));
      }
    });
    return out;
  }
}
