package dev.inferscope.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RoundTripBaselineTest {

  @Test
  void noBaselineUntilAProbeSucceeds() {
    RoundTripBaseline b = new RoundTripBaseline();
    assertThat(b.nanos()).isEqualTo(-1);
    b.record(-5);
    assertThat(b.nanos()).isEqualTo(-1);
    b.record(300_000);
    assertThat(b.nanos()).isEqualTo(300_000);
  }

  @Test
  void theLowerQuartileIgnoresDelayedProbes() {
    RoundTripBaseline b = new RoundTripBaseline();
    for (int i = 0; i < 24; i++) {
      b.record(200_000 + i * 1_000); // 200..223 us
    }
    for (int i = 0; i < 8; i++) {
      b.record(50_000_000); // a busy server delayed a quarter of the probes by 50 ms
    }
    assertThat(b.nanos()).isBetween(200_000L, 210_000L);
  }

  @Test
  void theWindowForgetsOldSamples() {
    RoundTripBaseline b = new RoundTripBaseline();
    for (int i = 0; i < RoundTripBaseline.WINDOW; i++) {
      b.record(100_000);
    }
    for (int i = 0; i < RoundTripBaseline.WINDOW; i++) {
      b.record(5_000_000); // the server moved further away
    }
    assertThat(b.nanos()).isEqualTo(5_000_000);
    assertThat(b.samples()).isEqualTo(RoundTripBaseline.WINDOW);
  }

  @Test
  void probingWarmsUpQuicklyThenKeepsGoingAndStopsOnClose() throws Exception {
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
    try {
      AtomicInteger sent = new AtomicInteger();
      CountDownLatch four = new CountDownLatch(4);
      RoundTripBaseline b = RoundTripBaseline.probing(s, TimeUnit.HOURS.toNanos(1), done -> {
        int n = sent.incrementAndGet();
        if (n == 2) {
          throw new IllegalStateException("a failed probe is skipped");
        }
        done.accept(n == 3 ? -1 : 1_000L * n);
        four.countDown();
      });
      assertThat(four.await(10, TimeUnit.SECONDS)).isTrue();
      b.close();
      assertThat(b.samples()).isBetween(3, 5);
      assertThat(b.nanos()).isEqualTo(1_000L);
    } finally {
      s.shutdownNow();
    }
  }

  @Test
  void aServerThatNeverAnswersIsAskedEightTimesQuicklyThenNoFasterThanOnceASecond() throws Exception {
    ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
    try {
      AtomicInteger sent = new AtomicInteger();
      CountDownLatch eight = new CountDownLatch(8);
      RoundTripBaseline b = RoundTripBaseline.probing(s, TimeUnit.HOURS.toNanos(1), done -> {
        sent.incrementAndGet();
        eight.countDown();
        done.accept(-1);
      });
      assertThat(eight.await(10, TimeUnit.SECONDS)).isTrue();
      // the ninth probe is a second away: ten more warm-up gaps pass without it
      assertThat(s.schedule(() -> sent.get(), 250, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS)).isEqualTo(8);
      assertThat(b.nanos()).isEqualTo(-1);
      b.close();
    } finally {
      s.shutdownNow();
    }
  }
}
