package dev.inferscope.examples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JitSettledTest {
  private final AtomicLong compiled = new AtomicLong();
  private final AtomicLong now = new AtomicLong();

  /** One second passes, with {@code compileMillis} of compiling in it; then the warm-up asks. */
  private boolean second(JitSettled settled, long compileMillis) {
    now.addAndGet(TimeUnit.SECONDS.toNanos(1));
    compiled.addAndGet(compileMillis);
    return settled.getAsBoolean();
  }

  @Test
  void settlesAfterTwoQuietSecondsInARowAndNotBefore() {
    JitSettled settled = new JitSettled(2, compiled::get, now::get);
    assertThat(second(settled, 900)).isFalse(); // the first ask only takes a reading
    assertThat(second(settled, 700)).isFalse(); // busy
    assertThat(second(settled, 50)).isFalse();  // quiet once
    assertThat(second(settled, 400)).isFalse(); // busy again: the count starts over
    assertThat(second(settled, 99)).isFalse();  // 9.9 %: quiet
    assertThat(second(settled, 0)).isTrue();    // quiet twice in a row
  }

  @Test
  void aQuietJvmStillWaitsForTheMinimumNumberOfAsks() {
    JitSettled settled = new JitSettled(5, compiled::get, now::get);
    for (int i = 1; i < 5; i++) {
      assertThat(second(settled, 0)).as("ask %d", i).isFalse();
    }
    assertThat(second(settled, 0)).isTrue();
  }

  @Test
  void tenPercentOfTheWallTimeIsNotQuiet() {
    JitSettled settled = new JitSettled(1, compiled::get, now::get);
    second(settled, 0);
    for (int i = 0; i < 5; i++) {
      assertThat(second(settled, 100)).isFalse();
    }
  }

  @Test
  void aJvmThatDoesNotReportCompilationTimeSettlesAtTheMinimum() {
    JitSettled settled = new JitSettled(3, () -> -1, now::get);
    assertThat(settled.getAsBoolean()).isFalse();
    assertThat(settled.getAsBoolean()).isFalse();
    assertThat(settled.getAsBoolean()).isTrue();
  }
}
