package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The phase model: the partition sums to the total, the LLM view overlaps it and is never subtracted. */
class PhasePartitionTest {
  private final TelemetryFixture fx = new TelemetryFixture();
  private final FakeClock clock = new FakeClock();
  private final List<CallRecord> records = new ArrayList<>();

  @AfterEach
  void close() {
    fx.close();
  }

  private InferenceTelemetry telemetry() {
    return fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).addListener(records::add).build();
  }

  private static CallDescriptor stream() {
    return CallDescriptor.builder(InferenceSystem.VLLM, "chat", "tiny-llama").streaming(true).genAi(true).build();
  }

  private static long ms(double ms) {
    return Math.round(ms * 1e6);
  }

  @Test
  void decodeOverlapsServerComputeAndIsNotSubtractedFromTheTotal() {
    // The figures of a real llama-server stream: total 246.2 ms, compute 236.8 ms, decode 211.6 ms.
    Call call = telemetry().start(stream());
    clock.advance(Duration.ofNanos(ms(34.6)));
    call.onChunk();
    for (int i = 0; i < 63; i++) {
      clock.advance(Duration.ofNanos(ms(211.6) / 63));
      call.onChunk();
    }
    clock.advance(Duration.ofNanos(ms(246.2) - call.elapsedNanos()));
    call.serverTiming(-1, ms(236.8), ServerTimingSource.RESPONSE_COMPUTE);
    call.end();
    Map<Phase, Long> p = records.get(0).phaseNanos();
    assertThat(p.get(Phase.NETWORK) / 1e6).isCloseTo(9.4, within(0.001));
    assertThat(p.get(Phase.DECODE) / 1e6).isCloseTo(211.6, within(0.01));
  }

  @Test
  void aQueueDerivedFromTheRoundTripTakesTheRemainderAndNetworkIsTheRoundTrip() {
    // 16 streams on 4 slots: total 1,028 ms, server compute 500 ms, round trip 0.3 ms -> queue 527.7 ms
    Call call = telemetry().start(stream());
    call.recordPhase(Phase.SERIALIZE, ms(0.1));
    clock.advance(Duration.ofMillis(1028));
    call.serverTimingEstimate(ms(500), ms(0.3), ServerTimingSource.RESPONSE_COMPUTE);
    call.end();
    Map<Phase, Long> p = records.get(0).phaseNanos();
    assertThat(p.get(Phase.SERVER_QUEUE) / 1e6).isCloseTo(527.6, within(1e-6));
    assertThat(p.get(Phase.NETWORK) / 1e6).isCloseTo(0.3, within(1e-6));
    assertThat(records.get(0).serverTimingSource()).isEqualTo(ServerTimingSource.RESPONSE_COMPUTE);
    SpanData span = fx.onlySpan();
    assertThat(span.getAttributes().get(InferenceAttributes.SERVER_TIMING_SOURCE)).isEqualTo("response_compute");
  }

  @Test
  void reportedServerTimingLargerThanTheTotalIsCappedSoThePartitionStillAddsUp() {
    Call call = telemetry().start(stream());
    call.recordPhase(Phase.SERIALIZE, ms(1));
    clock.advance(Duration.ofMillis(100));
    call.serverTiming(ms(80), ms(60), ServerTimingSource.RESPONSE); // clocks differ: 141 ms > 100 ms
    call.end();
    Map<Phase, Long> p = records.get(0).phaseNanos();
    assertThat(p.get(Phase.SERVER_COMPUTE)).isEqualTo(ms(60));
    assertThat(p.get(Phase.SERVER_QUEUE)).isEqualTo(ms(39));
    assertThat(p.get(Phase.NETWORK)).isZero();
  }

  @Test
  void serverLatencyFiguresAreRecordedBesideTheClientsAndOutsideThePartition() {
    Call call = telemetry().start(stream());
    clock.advance(Duration.ofMillis(50));
    call.serverLatency(ms(12.5), ms(3.25));
    call.end();
    SpanData span = fx.onlySpan();
    assertThat(span.getAttributes().get(InferenceAttributes.SERVER_TIME_TO_FIRST_TOKEN)).isCloseTo(0.0125, within(1e-12));
    assertThat(span.getAttributes().get(InferenceAttributes.SERVER_MEAN_INTER_TOKEN_LATENCY))
        .isCloseTo(0.00325, within(1e-12));
    assertThat(records.get(0).phaseNanos().get(Phase.NETWORK)).isEqualTo(ms(50));
  }

  /** Random measurements of every kind: the partition sums to the total exactly, nothing is negative. */
  @Test
  void randomisedTimingsAlwaysPartitionTheTotal() {
    SplittableRandom rnd = new SplittableRandom(20261201);
    InferenceTelemetry telemetry = telemetry();
    ServerTimingSource[] sources = ServerTimingSource.values();
    for (int i = 0; i < 5_000; i++) {
      Call call = telemetry.start(stream());
      if (rnd.nextBoolean()) {
        call.recordPhase(Phase.CLIENT_QUEUE, rnd.nextLong(0, ms(50)));
      }
      call.recordPhase(Phase.SERIALIZE, rnd.nextLong(0, ms(5)));
      int chunks = rnd.nextInt(0, 40);
      for (int c = 0; c < chunks; c++) {
        clock.advance(Duration.ofNanos(rnd.nextLong(0, ms(20))));
        call.onChunk();
      }
      clock.advance(Duration.ofNanos(rnd.nextLong(0, ms(500))));
      if (rnd.nextBoolean()) {
        call.recordPhase(Phase.DESERIALIZE, rnd.nextLong(0, ms(5)));
      }
      ServerTimingSource source = sources[rnd.nextInt(sources.length)];
      switch (rnd.nextInt(3)) {
        case 0 -> call.serverTiming(rnd.nextLong(-1, ms(900)), rnd.nextLong(-1, ms(900)), source);
        case 1 -> call.serverTimingEstimate(rnd.nextLong(-1, ms(900)), rnd.nextLong(-1, ms(5)), source);
        default -> { }
      }
      call.end();
    }
    assertThat(records).hasSize(5_000);
    for (CallRecord r : records) {
      long sum = 0;
      for (Map.Entry<Phase, Long> e : r.phaseNanos().entrySet()) {
        assertThat(e.getValue()).as("%s of %s", e.getKey(), r.phaseNanos()).isNotNegative();
        if (e.getKey().inPartition()) {
          sum += e.getValue();
        }
      }
      assertThat(sum).as("%s", r.phaseNanos()).isEqualTo(r.durationNanos());
    }
    for (SpanData s : fx.finishedSpans()) {
      double sum = 0;
      for (Phase p : Phase.values()) {
        Double v = s.getAttributes().get(InferenceAttributes.phaseDuration(p));
        if (v != null && p.inPartition()) {
          sum += v;
        }
      }
      assertThat(sum).isCloseTo((s.getEndEpochNanos() - s.getStartEpochNanos()) / 1e9, within(1e-6));
    }
  }
}
