package dev.inferscope.core.slo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SloTrackerTest {
  private final AtomicLong now = new AtomicLong();
  private final InferenceClock clock = new InferenceClock() {
    @Override
    public long nanoTime() {
      return now.get();
    }

    @Override
    public long epochNanos() {
      return now.get();
    }

    @Override
    public void sleepNanos(long nanos) {
      now.addAndGet(nanos);
    }
  };

  private SloTracker tracker = SloTracker.builder().clock(clock)
      .defaultObjective(new SloObjective(0.999, Duration.ofMillis(500), 0.99)).build();
  private final InferenceTelemetry telemetry = InferenceTelemetry.builder().openTelemetry(OpenTelemetry.noop())
      .logPolicy(LogPolicy.disabled()).clock(clock).addListener(tracker).build();

  private void traffic(int calls, double errorRate, Duration spread, ErrorType type) {
    long step = spread.toNanos() / calls;
    int errors = (int) Math.round(calls * errorRate);
    for (int i = 0; i < calls; i++) {
      Call c = telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").endpoint("e").build());
      now.addAndGet(1_000_000); // 1 ms calls
      // spread errors evenly
      if (errors > 0 && (long) i * errors / calls != (long) (i + 1) * errors / calls) {
        c.end(InferenceException.of(type, "x"));
      } else {
        c.end();
      }
      now.addAndGet(step - 1_000_000);
    }
  }

  @Test
  void twoPercentErrorsAgainst999TripsTheFastWindow() {
    traffic(12_000, 0.02, Duration.ofHours(1), ErrorType.UNAVAILABLE);
    SloStatus s = tracker.status("e", "m");
    assertThat(s.availabilityBurn().get("5m")).isCloseTo(20.0, within(1.0));
    assertThat(s.availabilityBurn().get("1h")).isCloseTo(20.0, within(1.0));
    assertThat(s.fastBurn()).isTrue();
    assertThat(tracker.anyFastBurn()).isTrue();
    assertThat(s.availabilityBudgetRemaining()).isLessThan(0);
  }

  @Test
  void aFractionOfAPercentDoesNot() {
    traffic(20_000, 0.0005, Duration.ofHours(1), ErrorType.UNAVAILABLE);
    SloStatus s = tracker.status("e", "m");
    assertThat(s.availabilityBurn().get("1h")).isCloseTo(0.5, within(0.1));
    assertThat(s.fastBurn()).isFalse();
    assertThat(s.slowBurn()).isFalse();
    assertThat(s.availabilityBudgetRemaining()).isCloseTo(0.5, within(0.1));
  }

  @Test
  void aShortSpikeAloneDoesNotTripTheFastBurnButSustainedSlowBurnTicks() {
    traffic(6_000, 0.0, Duration.ofMinutes(55), ErrorType.UNAVAILABLE);
    traffic(600, 0.05, Duration.ofMinutes(5), ErrorType.UNAVAILABLE); // 5 minutes at 5 %
    SloStatus spike = tracker.status("e", "m");
    assertThat(spike.availabilityBurn().get("5m")).isGreaterThan(14.4);
    assertThat(spike.availabilityBurn().get("1h")).isLessThan(14.4);
    assertThat(spike.fastBurn()).isFalse();

    SloTracker other = SloTracker.builder().clock(clock)
        .defaultObjective(new SloObjective(0.999, Duration.ofMillis(500), 0.99)).build();
    tracker = other;
    InferenceTelemetry t2 = InferenceTelemetry.builder().openTelemetry(OpenTelemetry.noop())
        .logPolicy(LogPolicy.disabled()).clock(clock).addListener(other).build();
    for (int i = 0; i < 7_200; i++) { // 6 h at 0.8 %: burn 8
      Call c = t2.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").endpoint("e").build());
      if (i % 125 == 0) {
        c.end(InferenceException.of(ErrorType.INTERNAL, "x"));
      } else {
        c.end();
      }
      now.addAndGet(Duration.ofSeconds(3).toNanos());
    }
    SloStatus slow = other.status("e", "m");
    assertThat(slow.slowBurn()).isTrue();
    assertThat(slow.fastBurn()).isFalse();
  }

  @Test
  void callerErrorsAndCancellationsDoNotSpendTheBudgetButSlowCallsSpendLatency() {
    traffic(1_000, 0.5, Duration.ofMinutes(10), ErrorType.INVALID_ARGUMENT);
    assertThat(tracker.status("e", "m").availabilityBurn().get("5m")).isZero();
    Call slow = telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").endpoint("e").build());
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    slow.end();
    Call cancelled = telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").endpoint("e").build());
    cancelled.cancel();
    SloStatus s = tracker.status("e", "m");
    assertThat(s.latencyBurn().get("5m")).isPositive();
  }

  @Test
  void gaugesAreRegisteredPerEndpointModelSloAndWindow() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    tracker.bindTo(registry);
    traffic(1_000, 0.02, Duration.ofMinutes(5), ErrorType.UNAVAILABLE);
    assertThat(registry.get("inference.slo.burn_rate").tag("slo", "availability").tag("window", "5m").gauge().value())
        .isCloseTo(20.0, within(1.0));
    assertThat(registry.get("inference.slo.error_budget.remaining").tag("slo", "availability").gauge().value())
        .isLessThan(0);
    assertThat(registry.find("inference.slo.burn_rate").gauges()).hasSize(8);
  }

  @Test
  void memoryIsBoundedByTheRing() {
    traffic(100_000, 0.01, Duration.ofHours(24), ErrorType.UNAVAILABLE);
    // only the last 6 h are kept: about a quarter of the calls
    assertThat(tracker.status("e", "m").calls()).isBetween(24_000L, 26_000L);
  }
}
