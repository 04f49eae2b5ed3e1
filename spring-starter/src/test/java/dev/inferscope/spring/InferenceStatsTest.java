package dev.inferscope.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.Phase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class InferenceStatsTest {

  @Test
  void percentilesOfTotalAndEveryPhasePerEndpointAndModel() {
    TestCalls calls = new TestCalls();
    InferenceStats stats = new InferenceStats(1000, 5, Duration.ofSeconds(10), calls.clock);
    for (int i = 1; i <= 100; i++) {
      stats.onCallEnd(calls.infer("vision", "resnet", 100 + i, i, 50));
    }
    stats.onCallEnd(calls.infer("vision", "tiny", 5, 0, 2));

    List<InferenceStats.ModelStats> all = stats.snapshot();
    assertThat(all).extracting(InferenceStats.ModelStats::model).containsExactly("resnet", "tiny");
    InferenceStats.ModelStats resnet = all.get(0);
    assertThat(resnet.endpoint()).isEqualTo("vision");
    assertThat(resnet.system()).isEqualTo("triton");
    assertThat(resnet.windowCalls()).isEqualTo(100);
    assertThat(resnet.total()).isNotNull();
    assertThat(resnet.total().p50Millis()).isCloseTo(150.0, within(0.001));
    assertThat(resnet.total().p99Millis()).isCloseTo(199.0, within(0.001));
    assertThat(resnet.total().maxMillis()).isCloseTo(200.0, within(0.001));
    InferenceStats.Percentiles queue = resnet.phase(Phase.SERVER_QUEUE);
    assertThat(queue).isNotNull();
    assertThat(queue.p50Millis()).isCloseTo(50.0, within(0.001));
    assertThat(queue.p99Millis()).isCloseTo(99.0, within(0.001));
    assertThat(resnet.phase(Phase.SERVER_COMPUTE).p50Millis()).isCloseTo(50.0, within(0.001));
    // NETWORK is derived by core: total - queue - compute = 100 + i - i - 50 = 50
    assertThat(resnet.phase(Phase.NETWORK).p99Millis()).isCloseTo(50.0, within(0.001));
    assertThat(resnet.phase(Phase.TIME_TO_FIRST_TOKEN)).isNull();
  }

  @Test
  void windowIsBoundedAndKeepsTheLatestCalls() {
    TestCalls calls = new TestCalls();
    InferenceStats stats = new InferenceStats(10, 0, Duration.ofSeconds(10), calls.clock);
    for (int i = 1; i <= 1000; i++) {
      stats.onCallEnd(calls.infer("e", "m", i, 0, 0));
    }
    InferenceStats.ModelStats s = stats.snapshot().get(0);
    assertThat(s.windowCalls()).isEqualTo(10);
    assertThat(s.totalCalls()).isEqualTo(1000);
    assertThat(s.total().maxMillis()).isEqualTo(1000.0);
    assertThat(s.total().p50Millis()).isEqualTo(995.0);
  }

  @Test
  void errorsAreCountedByType() {
    TestCalls calls = new TestCalls();
    InferenceStats stats = new InferenceStats(100, 0, Duration.ofSeconds(10), calls.clock);
    stats.onCallEnd(calls.infer("e", "m", 10, 1, 1));
    stats.onCallEnd(calls.failed("e", "m", 10, ErrorType.DEADLINE_EXCEEDED));
    stats.onCallEnd(calls.failed("e", "m", 10, ErrorType.DEADLINE_EXCEEDED));
    stats.onCallEnd(calls.failed("e", "m", 10, ErrorType.UNAVAILABLE));
    InferenceStats.ModelStats s = stats.snapshot().get(0);
    assertThat(s.totalErrors()).isEqualTo(3);
    assertThat(s.windowErrors()).isEqualTo(3);
    assertThat(s.errorTypes()).containsEntry("deadline_exceeded", 2).containsEntry("unavailable", 1);
  }

  @Test
  void ageLimitedSnapshotOnlyCountsRecentCalls() {
    TestCalls calls = new TestCalls();
    InferenceStats stats = new InferenceStats(100, 0, Duration.ofSeconds(10), calls.clock);
    stats.onCallEnd(calls.infer("e", "m", 900, 800, 50));
    calls.clock.advanceMillis(120_000);
    stats.onCallEnd(calls.infer("e", "m", 10, 1, 1));
    assertThat(stats.snapshot(Duration.ofMinutes(1)).get(0).windowCalls()).isEqualTo(1);
    assertThat(stats.snapshot(Duration.ofMinutes(1)).get(0).phase(Phase.SERVER_QUEUE).maxMillis()).isEqualTo(1.0);
    assertThat(stats.snapshot().get(0).windowCalls()).isEqualTo(2);
  }

  @Test
  void slowCallsAreBoundedAndHoldNoPayload() {
    TestCalls calls = new TestCalls();
    InferenceStats stats = new InferenceStats(100, 3, Duration.ofMillis(500), calls.clock);
    stats.onCallEnd(calls.infer("e", "m", 100, 1, 1));
    for (int i = 0; i < 5; i++) {
      stats.onCallEnd(calls.infer("e", "m", 600 + i, 500, 50));
    }
    List<InferenceStats.SlowCall> slow = stats.slowCalls();
    assertThat(slow).hasSize(3);
    assertThat(slow).extracting(InferenceStats.SlowCall::durationMs).containsExactly(602.0, 603.0, 604.0);
    InferenceStats.SlowCall last = slow.get(2);
    assertThat(last.endpoint()).isEqualTo("e");
    assertThat(last.model()).isEqualTo("m");
    assertThat(last.operation()).isEqualTo("infer");
    assertThat(last.outcome()).isEqualTo("success");
    assertThat(last.phasesMs()).containsEntry("server_queue", 500.0).containsEntry("server_compute", 50.0);
    assertThat(last.endedAt().toEpochMilli()).isEqualTo(calls.clock.epochNanos() / 1_000_000L);
  }

  @Test
  void streamingPhasesAreKept() {
    TestCalls calls = new TestCalls();
    InferenceStats stats = new InferenceStats(100, 0, Duration.ofSeconds(10), calls.clock);
    stats.onCallEnd(calls.chat("llm", "llama", 80, 10, 11));
    InferenceStats.ModelStats s = stats.snapshot().get(0);
    assertThat(s.system()).isEqualTo("vllm");
    assertThat(s.phase(Phase.TIME_TO_FIRST_TOKEN).p50Millis()).isEqualTo(80.0);
    assertThat(s.phase(Phase.DECODE).p50Millis()).isEqualTo(100.0);
  }

  @Test
  void rejectsNonsenseSizes() {
    assertThatThrownBy(() -> new InferenceStats(0, 1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new InferenceStats(1, -1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resetForgetsEverything() {
    TestCalls calls = new TestCalls();
    InferenceStats stats = new InferenceStats(100, 5, Duration.ZERO, calls.clock);
    stats.onCallEnd(calls.infer("e", "m", 10, 1, 1));
    stats.reset();
    assertThat(stats.snapshot()).isEmpty();
    assertThat(stats.slowCalls()).isEmpty();
  }
}
