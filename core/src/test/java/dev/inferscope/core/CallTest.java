package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

class CallTest {
  private final TelemetryFixture fx = new TelemetryFixture();
  private final FakeClock clock = new FakeClock();

  @AfterEach
  void close() {
    fx.close();
  }

  private static CallDescriptor descriptor() {
    return CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet50")
        .endpoint("vision")
        .modelVersion("3")
        .requestId("req-1")
        .server("127.0.0.1", 8001)
        .rpc("inference.GRPCInferenceService", "ModelInfer")
        .batchSize(4)
        .requestBytes(1024)
        .build();
  }

  @Test
  void theWaitOfAStreamsEndForItsReaderIsDeserializeAndNeverNegative() {
    List<CallRecord> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    InferenceTelemetry telemetry = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled())
        .addListener(seen::add).build();
    Call call = telemetry.start(descriptor());
    clock.advance(Duration.ofMillis(10));
    long arrived = clock.nanoTime(); // the end reaches the client
    clock.advance(Duration.ofMillis(40)); // and waits for the reader
    call.endTaken(arrived);
    call.endTaken(-1); // unknown: nothing
    call.endTaken(clock.nanoTime() + 1); // a stamp not before now: nothing
    call.end();
    CallRecord r = seen.get(0);
    assertThat(r.phaseNanos(Phase.DESERIALIZE)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(40));
    assertThat(r.phaseNanos(Phase.NETWORK)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(10));
  }

  @Test
  void oneCallProducesOneClientSpanWithContractAttributesAndPhaseEvents() {
    InferenceTelemetry telemetry = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).phaseEvents(true)
        .build();
    Call call = telemetry.start(descriptor());
    call.recordPhase(Phase.SERIALIZE, TimeUnit.MILLISECONDS.toNanos(2));
    call.serverTiming(TimeUnit.MILLISECONDS.toNanos(1840), TimeUnit.MILLISECONDS.toNanos(150),
        ServerTimingSource.STATISTICS);
    call.recordPhase(Phase.DESERIALIZE, TimeUnit.MILLISECONDS.toNanos(3));
    call.responseBytes(2048);
    call.grpcStatusCode(0);
    clock.advance(Duration.ofMillis(2005));
    call.end();
    call.end(); // idempotent
    call.end(new RuntimeException("late"));

    SpanData span = fx.onlySpan();
    assertThat(span.getName()).isEqualTo("infer resnet50");
    assertThat(span.getKind()).isEqualTo(SpanKind.CLIENT);
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    Map<String, Object> attrs = attributes(span);
    assertThat(attrs).containsEntry("inference.system", "triton")
        .containsEntry("inference.model.name", "resnet50")
        .containsEntry("inference.model.version", "3")
        .containsEntry("inference.request.id", "req-1")
        .containsEntry("server.address", "127.0.0.1")
        .containsEntry("server.port", 8001L)
        .containsEntry("rpc.system.name", "grpc")
        .containsEntry("rpc.method", "inference.GRPCInferenceService/ModelInfer")
        .containsEntry("rpc.response.status_code", "OK")
        .containsEntry("inference.server_timing.source", "statistics")
        .containsEntry("inference.batch.size", 4L)
        .containsEntry("inference.attempts", 1L);
    assertThat((Double) attrs.get("inference.phase.server_queue.duration")).isCloseTo(1.840, within(1e-9));
    assertThat((Double) attrs.get("inference.phase.server_compute.duration")).isCloseTo(0.150, within(1e-9));
    // NETWORK = 2005 - (2 + 1840 + 150 + 3) = 10 ms
    assertThat((Double) attrs.get("inference.phase.network.duration")).isCloseTo(0.010, within(1e-9));
    assertThat(span.getEndEpochNanos() - span.getStartEpochNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(2005));
    List<String> phaseEvents = span.getEvents().stream()
        .filter(e -> e.getName().equals("inference.phase"))
        .map(e -> e.getAttributes().get(InferenceAttributes.PHASE_NAME))
        .collect(Collectors.toList());
    assertThat(phaseEvents).containsExactlyInAnyOrder(
        "serialize", "server_queue", "server_compute", "deserialize", "network");
    EventData queueEvent = span.getEvents().stream()
        .filter(e -> "server_queue".equals(e.getAttributes().get(InferenceAttributes.PHASE_NAME)))
        .findFirst().orElseThrow();
    assertThat(queueEvent.getAttributes().get(InferenceAttributes.PHASE_ESTIMATED)).isTrue();
    assertThat(span.getAttributes().get(InferenceAttributes.PHASES_ESTIMATED))
        .containsExactly("network", "server_queue", "server_compute");
  }

  @Test
  void phaseEventsAreOffByDefaultAndTheAttributesSayWhatIsEstimated() {
    InferenceTelemetry telemetry = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).build();
    Call call = telemetry.start(descriptor());
    call.recordPhase(Phase.SERIALIZE, TimeUnit.MILLISECONDS.toNanos(2));
    call.serverTiming(TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.MILLISECONDS.toNanos(7), ServerTimingSource.RESPONSE);
    clock.advance(Duration.ofMillis(20));
    call.end();
    SpanData span = fx.onlySpan();
    assertThat(span.getEvents()).isEmpty();
    assertThat(span.getAttributes().get(InferenceAttributes.PHASES_ESTIMATED)).isNull(); // all reported or measured
    assertThat(span.getAttributes().get(InferenceAttributes.phaseDuration(Phase.SERVER_QUEUE))).isEqualTo(0.005);
  }

  @Test
  void networkIsNeverNegative() {
    InferenceTelemetry telemetry = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).build();
    Call call = telemetry.start(descriptor());
    call.serverTiming(TimeUnit.SECONDS.toNanos(5), TimeUnit.SECONDS.toNanos(5), ServerTimingSource.RESPONSE);
    clock.advance(Duration.ofSeconds(1));
    call.end();
    assertThat((Double) attributes(fx.onlySpan()).get("inference.phase.network.duration")).isZero();
  }

  @Test
  void metersHaveBoundedTagsAndRecordPhases() {
    InferenceTelemetry telemetry = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).build();
    for (int i = 0; i < 3; i++) {
      Call call = telemetry.start(descriptor().toBuilder().requestId("req-" + i).build());
      call.recordPhase(Phase.SERIALIZE, 1_000_000);
      clock.advance(Duration.ofMillis(10));
      if (i == 2) {
        call.end(InferenceException.of(ErrorType.UNAVAILABLE, "server unavailable"));
      } else {
        call.end();
      }
    }
    Timer ok = fx.meters.get("inference.client.duration").tag("outcome", "success").tag("error.type", "none").timer();
    assertThat(ok.count()).isEqualTo(2);
    assertThat(ok.totalTime(TimeUnit.MILLISECONDS)).isCloseTo(20.0, within(1e-6));
    Timer failed = fx.meters.get("inference.client.duration").tag("error.type", "unavailable").timer();
    assertThat(failed.count()).isEqualTo(1);
    assertThat(failed.getId().getTag("outcome")).isEqualTo("error");
    Timer serialize = fx.meters.get("inference.client.phase.duration").tag("phase", "serialize").timer();
    assertThat(serialize.count()).isEqualTo(3);
    assertThat(fx.meters.get("inference.client.phase.duration").tag("phase", "network").timer().count()).isEqualTo(3);
    assertThat(fx.meters.get("inference.client.active").gauge().value()).isZero();
    // No tag holds a per-request value.
    for (Meter m : fx.meters.getMeters()) {
      for (Tag t : m.getId().getTags()) {
        assertThat(t.getValue()).doesNotStartWith("req-");
      }
    }
    assertThat(fx.meters.get("inference.client.duration").timers()).hasSize(2);
  }

  @Test
  void activeGaugeCountsCallsInFlight() {
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.disabled()).build();
    Call a = telemetry.start(descriptor());
    Call b = telemetry.start(descriptor());
    assertThat(fx.meters.get("inference.client.active").gauge().value()).isEqualTo(2.0);
    a.end();
    b.cancel();
    assertThat(fx.meters.get("inference.client.active").gauge().value()).isZero();
  }

  @Test
  void sampledCallWritesOneValidJsonLineWithRequiredFields() throws Exception {
    InferenceTelemetry telemetry = fx.telemetry().clock(clock)
        .logPolicy(LogPolicy.builder().sampleRate(1.0).build()).build();
    try (TestLogs logs = TestLogs.requests()) {
      Call call = telemetry.start(descriptor());
      call.recordPhase(Phase.SERIALIZE, 1_000_000);
      clock.advance(Duration.ofMillis(12));
      call.end();
      assertThat(logs.messages()).hasSize(1);
      Map<String, Object> json = parseFlat(logs.messages().get(0));
      assertThat(json).containsKeys("timestamp", "event", "system", "endpoint", "model", "model_version",
          "operation", "request_id", "trace_id", "span_id", "outcome", "duration_ms", "phases_ms.serialize",
          "phases_ms.network", "batch_size", "request_bytes", "sampled_by");
      assertThat(json).containsEntry("event", "inference.call").containsEntry("sampled_by", "rate")
          .containsEntry("outcome", "success").containsEntry("model", "resnet50");
      assertThat(json.get("duration_ms")).isEqualTo(12.0);
      assertThat(json.get("trace_id")).isEqualTo(fx.onlySpan().getTraceId());
      assertThat(logs.events().get(0).getKeyValuePairs()).extracting(kv -> kv.key)
          .contains("event", "model", "outcome", "duration_ms", "trace_id");
    }
  }

  @Test
  void unsampledCallWritesNothingButErrorsAndSlowCallsAlwaysLog() {
    InferenceTelemetry telemetry = fx.telemetry().clock(clock)
        .logPolicy(LogPolicy.builder().sampleRate(0.0).slowThreshold(Duration.ofMillis(500)).build()).build();
    try (TestLogs logs = TestLogs.requests()) {
      Call fast = telemetry.start(descriptor());
      clock.advance(Duration.ofMillis(5));
      fast.end();
      assertThat(logs.messages()).isEmpty();

      Call failed = telemetry.start(descriptor());
      failed.end(InferenceException.of(ErrorType.INTERNAL, "boom"));
      Call slow = telemetry.start(descriptor());
      clock.advance(Duration.ofMillis(600));
      slow.end();
      Call unsure = telemetry.start(descriptor());
      unsure.confidence(0.2);
      unsure.end();
      assertThat(logs.messages()).hasSize(3);
      assertThat(logs.messages().get(0)).contains("\"sampled_by\":\"error\"").contains("\"error_type\":\"internal\"");
      assertThat(logs.messages().get(1)).contains("\"sampled_by\":\"slow\"");
      assertThat(logs.messages().get(2)).contains("\"sampled_by\":\"low_confidence\"");
    }
  }

  @Test
  void errorEndsSpanWithErrorStatusAndType() {
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.disabled()).build();
    Call call = telemetry.start(descriptor());
    call.end(InferenceException.builder(ErrorType.RESOURCE_EXHAUSTED, "queue full").serverCode("503").build());
    SpanData span = fx.onlySpan();
    assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(span.getStatus().getDescription()).isEqualTo("RESOURCE_EXHAUSTED (server code 503)");
    assertThat(span.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("resource_exhausted");
  }

  @Test
  void cancelledCallIsNotAnErrorLogLine() {
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.builder().sampleRate(0).build()).build();
    try (TestLogs logs = TestLogs.requests()) {
      Call call = telemetry.start(descriptor());
      call.cancel();
      assertThat(logs.messages()).isEmpty();
      assertThat(fx.meters.get("inference.client.duration").tag("outcome", "cancelled").timer().count()).isEqualTo(1);
    }
  }

  @Test
  void streamingRecordsTimeToFirstTokenDecodeAndGenAiAttributes() {
    InferenceTelemetry telemetry = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).build();
    CallDescriptor d = CallDescriptor.builder(InferenceSystem.VLLM, "chat", "llama-3-8b")
        .genAi(true).streaming(true).maxTokens(64L).temperature(0.2).topP(0.9).build();
    Call call = telemetry.start(d);
    clock.advance(Duration.ofMillis(120));
    call.onChunk();
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofMillis(20));
      call.onChunk();
    }
    call.tokens(12, 5);
    call.responseModel("llama-3-8b");
    call.responseId("chatcmpl-1");
    call.finishReasons(List.of("stop"));
    clock.advance(Duration.ofMillis(1));
    call.end();
    call.onChunk(); // ignored after end
    Map<String, Object> attrs = attributes(fx.onlySpan());
    assertThat(fx.onlySpan().getName()).isEqualTo("chat llama-3-8b");
    assertThat(attrs).containsEntry("gen_ai.operation.name", "chat")
        .containsEntry("gen_ai.provider.name", "vllm")
        .containsEntry("gen_ai.request.model", "llama-3-8b")
        .containsEntry("gen_ai.response.model", "llama-3-8b")
        .containsEntry("gen_ai.response.id", "chatcmpl-1")
        .containsEntry("gen_ai.request.max_tokens", 64L)
        .containsEntry("gen_ai.usage.input_tokens", 12L)
        .containsEntry("gen_ai.usage.output_tokens", 5L)
        .containsEntry("gen_ai.response.finish_reasons", List.of("stop"))
        .containsEntry("inference.chunks", 5L);
    assertThat((Double) attrs.get("gen_ai.response.time_to_first_chunk")).isCloseTo(0.120, within(1e-9));
    assertThat((Double) attrs.get("inference.phase.time_to_first_token.duration")).isCloseTo(0.120, within(1e-9));
    assertThat((Double) attrs.get("inference.phase.decode.duration")).isCloseTo(0.080, within(1e-9));
    assertThat(fx.meters.get("gen_ai.client.operation.time_per_output_chunk").timer().count()).isEqualTo(4);
    assertThat(fx.meters.get("gen_ai.client.operation.time_to_first_chunk").timer().totalTime(TimeUnit.MILLISECONDS))
        .isCloseTo(120.0, within(1e-6));
    assertThat(fx.meters.get("gen_ai.client.token.usage").tag("gen_ai.token.type", "output").summary().totalAmount())
        .isEqualTo(5.0);
    assertThat(fx.meters.get("gen_ai.client.operation.duration").timer().count()).isEqualTo(1);
  }

  @Test
  void gpuSnapshotIsAttachedFromTheSource() {
    GpuSnapshot gpu = new GpuSnapshot("GPU-abc", 0, "H100", 0.93, 70L << 30, 80L << 30, 350, 71,
        clock.nanoTime(), "nvml", false);
    GpuStateSource source = new GpuStateSource() {
      @Override
      public List<GpuSnapshot> latest() {
        return List.of(gpu);
      }

      @Override
      public String name() {
        return "test";
      }
    };
    InferenceTelemetry telemetry = fx.telemetry().clock(clock).gpuStateSource(source)
        .logPolicy(LogPolicy.disabled()).build();
    Call call = telemetry.start(descriptor().toBuilder().gpuIds(List.of("GPU-abc")).build());
    clock.advance(Duration.ofMillis(250));
    call.end();
    Map<String, Object> attrs = attributes(fx.onlySpan());
    assertThat(attrs).containsEntry("hw.id", "GPU-abc").containsEntry("hw.gpu.utilization", 0.93)
        .containsEntry("hw.gpu.memory.usage", 70L << 30).containsEntry("hw.gpu.memory.limit", 80L << 30);
    assertThat((Double) attrs.get("hw.gpu.sample.age")).isCloseTo(0.25, within(1e-9));
  }

  @Test
  void injectWritesTraceparentOfTheCallSpan() {
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.disabled()).build();
    Call call = telemetry.start(descriptor());
    Map<String, String> headers = call.propagationHeaders();
    call.end();
    // flags: sampled (01), possibly with the W3C "random trace id" bit (02)
    assertThat(headers.get("traceparent"))
        .startsWith("00-" + fx.onlySpan().getTraceId() + "-" + fx.onlySpan().getSpanId() + "-0");
  }

  @Test
  void listenersSeeEveryEndedCallOnceAndTheirFailuresAreContained() {
    List<CallRecord> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.disabled())
        .addListener(r -> {
          throw new IllegalStateException("listener bug");
        })
        .addListener(seen::add).build();
    Call call = telemetry.start(descriptor());
    call.end(InferenceException.of(ErrorType.NOT_FOUND, "no such model"));
    call.end();
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).errorType()).isEqualTo(ErrorType.NOT_FOUND);
    assertThat(seen.get(0).phaseNanos()).containsKey(Phase.NETWORK);
  }

  @Test
  void worksWithoutMeterRegistryAndWithNoopTelemetry() {
    Call call = InferenceTelemetry.noop().start(descriptor());
    call.recordPhase(Phase.SERIALIZE, 5);
    call.end();
    assertThat(call.isEnded()).isTrue();
    InferenceTelemetry noMetrics = InferenceTelemetry.builder().openTelemetry(fx.otel)
        .logPolicy(LogPolicy.disabled()).build();
    noMetrics.start(descriptor()).end();
    assertThat(fx.finishedSpans()).hasSize(1);
  }

  static Map<String, Object> attributes(SpanData span) {
    Map<String, Object> m = new HashMap<>();
    span.getAttributes().forEach((k, v) -> m.put(k.getKey(), v));
    return m;
  }

  /** Flattens a JSON object into dotted keys (nested objects only). */
  static Map<String, Object> parseFlat(String json) {
    Map<String, Object> out = new HashMap<>();
    try (JsonParser p = new JsonFactory().createParser(ObjectReadContext.empty(), json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new AssertionError("not an object: " + json);
      }
      readObject(p, "", out);
      if (p.nextToken() != null) {
        throw new AssertionError("trailing content: " + json);
      }
    }
    return out;
  }

  private static void readObject(JsonParser p, String prefix, Map<String, Object> out) {
    while (p.nextToken() == JsonToken.PROPERTY_NAME) {
      String name = prefix + p.currentName();
      JsonToken t = p.nextToken();
      switch (t) {
        case START_OBJECT -> readObject(p, name + ".", out);
        case VALUE_STRING -> out.put(name, p.getString());
        case VALUE_NUMBER_INT -> out.put(name, p.getLongValue());
        case VALUE_NUMBER_FLOAT -> out.put(name, p.getDoubleValue());
        case VALUE_TRUE, VALUE_FALSE -> out.put(name, p.getBooleanValue());
        case VALUE_NULL -> out.put(name, null);
        default -> throw new AssertionError("unexpected " + t);
      }
    }
  }
}
