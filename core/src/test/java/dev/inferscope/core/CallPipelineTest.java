package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The call pipeline: one {@link CallRecord} per ended call feeds the span, the meters, the log line and
 * the listeners; per-call context and the extension points, through public API only.
 */
class CallPipelineTest {
  private static final String CANARY = "CANARY-7f3a9c-payload";

  private final TelemetryFixture fx = new TelemetryFixture();
  private final FakeClock clock = new FakeClock();

  @AfterEach
  void close() {
    fx.close();
  }

  private static CallDescriptor.Builder chat() {
    return CallDescriptor.builder(InferenceSystem.VLLM, "chat", "llama").endpoint("llm").genAi(true)
        .server("127.0.0.1", 8000).http("POST", "http://127.0.0.1:8000/v1/chat/completions");
  }

  @Test
  void theRecordHoldsWhatTheSpanShowsAndListenersSeeTheSameRecordTwice() {
    List<CallRecord> ending = new ArrayList<>();
    List<CallRecord> ended = new ArrayList<>();
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled())
        .addListener(new CallListener() {
          @Override
          public void onEnding(CallRecord r, io.opentelemetry.api.common.AttributesBuilder span) {
            ending.add(r);
            span.put("app.enriched", r.outputTokens());
          }

          @Override
          public void onCallEnd(CallRecord r) {
            ended.add(r);
          }
        }).build();
    Call call = t.start(chat().build());
    call.recordPhase(Phase.SERIALIZE, 1_000_000);
    call.tokens(12, 34);
    call.responseModel("llama-3");
    call.responseId("chatcmpl-1");
    call.finishReasons(List.of("stop"));
    call.responseBytes(900);
    call.httpStatusCode(200);
    call.serverLatency(5_000_000, 2_000_000);
    clock.advance(Duration.ofMillis(40));
    call.end();

    assertThat(ending).hasSize(1);
    assertThat(ended).containsExactly(ending.get(0));
    CallRecord r = ended.get(0);
    SpanData span = fx.onlySpan();
    assertThat(r.traceId()).isEqualTo(span.getTraceId());
    assertThat(r.spanId()).isEqualTo(span.getSpanId());
    assertThat(r.durationNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(40));
    assertThat(r.endEpochNanos()).isEqualTo(span.getEndEpochNanos());
    assertThat(r.startEpochNanos()).isEqualTo(span.getStartEpochNanos());
    assertThat(r.responseModel()).isEqualTo("llama-3").isEqualTo(attr(span, "gen_ai.response.model"));
    assertThat(r.responseId()).isEqualTo(attr(span, "gen_ai.response.id"));
    assertThat(r.finishReasons()).isEqualTo(attr(span, "gen_ai.response.finish_reasons"));
    assertThat(r.inputTokens()).isEqualTo(attr(span, "gen_ai.usage.input_tokens"));
    assertThat(r.responseBytes()).isEqualTo(attr(span, "inference.response.size"));
    assertThat((long) r.httpStatusCode()).isEqualTo(attr(span, "http.response.status_code"));
    assertThat(r.serverTimeToFirstTokenNanos() / 1e9).isEqualTo(attr(span, "inference.server.time_to_first_token"));
    assertThat(r.phaseNanos(Phase.SERIALIZE) / 1e9).isEqualTo(attr(span, "inference.phase.serialize.duration"));
    assertThat(r.phaseNanos(Phase.NETWORK) / 1e9).isEqualTo(attr(span, "inference.phase.network.duration"));
    assertThat(r.phaseNanos(Phase.DECODE)).isEqualTo(-1);
    assertThat(attr(span, "app.enriched")).isEqualTo(34L);
    // The meters are fed from the same record.
    Timer duration = fx.meters.get("inference.client.duration").tag("model", "llama").timer();
    assertThat(duration.totalTime(TimeUnit.NANOSECONDS)).isEqualTo(r.durationNanos());
  }

  @Test
  void perCallContextReachesSpanLogAndMetersAndIdentitiesOnlyAsHashes() {
    try (TestLogs logs = TestLogs.requests()) {
      InferenceTelemetry t = fx.telemetry().clock(clock).meterAttributes("tenant")
          .logPolicy(LogPolicy.builder().sampleRate(1.0).identityKey("k".repeat(32).getBytes()).build()).build();
      CallContext ctx = CallContext.builder().experiment("ranker-v2", "b").userId("user-" + CANARY)
          .clientAddress("10.1.2.3").attribute("tenant", "acme").attribute("feature", "search").build();
      t.start(chat().context(ctx).build()).end();

      SpanData span = fx.onlySpan();
      assertThat(attr(span, "inference.experiment")).isEqualTo("ranker-v2");
      assertThat(attr(span, "inference.variant")).isEqualTo("b");
      assertThat(attr(span, "tenant")).isEqualTo("acme");
      assertThat(attr(span, "feature")).isEqualTo("search");
      assertThat(span.getAttributes().toString()).doesNotContain(CANARY).doesNotContain("10.1.2.3");
      String line = logs.messages().get(0);
      assertThat(line).contains("\"experiment\":\"ranker-v2\"", "\"variant\":\"b\"", "\"user_hash\":",
          "\"client_hash\":", "\"attributes\":{\"tenant\":\"acme\",\"feature\":\"search\"}");
      assertThat(logs.everything()).doesNotContain(CANARY).doesNotContain("10.1.2.3");
      Timer d = fx.meters.get("inference.client.duration").tags("experiment", "ranker-v2", "variant", "b",
          "tenant", "acme").timer();
      assertThat(d.count()).isEqualTo(1);
      // "feature" is not allow-listed: never a meter tag
      assertThat(fx.meters.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("feature")).isNull());
    }
  }

  @Test
  void allowListedMeterAttributesKeepABoundedNumberOfValues() {
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).meterAttributes("tenant")
        .build();
    for (int i = 0; i < 150; i++) {
      t.start(chat().context(CallContext.builder().attribute("tenant", "t" + i).build()).build()).end();
    }
    long series = fx.meters.find("inference.client.duration").timers().size();
    assertThat(series).isEqualTo(dev.inferscope.core.internal.CallMeters.MAX_VALUES_PER_TAG + 1);
    assertThat(fx.meters.get("inference.client.duration").tag("tenant", "other").timer().count()).isEqualTo(50);
  }

  @Test
  void experimentsFromHeadersCannotExhaustTheRegistry() {
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).build();
    for (int i = 0; i < 130; i++) {
      t.start(chat().context(CallContext.builder().experiment("exp" + i, "v" + i).build()).build()).end();
    }
    assertThat(fx.meters.find("inference.client.duration").timers())
        .hasSize(dev.inferscope.core.internal.CallMeters.MAX_VALUES_PER_TAG + 1);
    assertThat(fx.meters.get("inference.client.duration").tags("experiment", "other", "variant", "other").timer()
        .count()).isEqualTo(30);
  }

  @Test
  void aConfidenceFunctionFeedsTheRecordAndThePredictionMeters() {
    List<CallRecord> records = new ArrayList<>();
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).addListener(records::add)
        .build();
    for (double c : new double[] {0.9, 0.2, 1.5}) {
      Call call = t.start(chat().build());
      call.confidence(c, x -> x);
      call.end();
    }
    assertThat(records).extracting(CallRecord::confidence).containsExactly(0.9, 0.2, Double.NaN);
    assertThat(fx.meters.get("inference.prediction.confidence").tag("model", "llama").summary().count()).isEqualTo(2);
    assertThat(fx.meters.get("inference.prediction.low_confidence").tag("model", "llama").counter().count())
        .isEqualTo(1);
  }

  @Test
  void onlyPhasesThatOccurHaveMeters() {
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).build();
    Call call = t.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet50").build());
    call.recordPhase(Phase.SERIALIZE, 1_000);
    call.recordPhase(Phase.DESERIALIZE, 1_000);
    clock.advance(Duration.ofMillis(5));
    call.end();
    assertThat(fx.meters.find("inference.client.phase.duration").timers())
        .extracting(timer -> timer.getId().getTag("phase"))
        .containsExactlyInAnyOrder("serialize", "network", "deserialize");
  }

  @Test
  void baggageAllowListFillsAttributesAndExperimentButTheRequestWins() {
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled())
        .attributesFromBaggage("tenant", "region").experimentFromBaggage("ab.experiment", "ab.variant").build();
    Baggage baggage = Baggage.builder().put("tenant", "acme").put("region", "eu").put("secret", CANARY)
        .put("ab.experiment", "checkout").put("ab.variant", "a").build();
    try (Scope s = baggage.makeCurrent()) {
      t.start(chat().build()).end();
      t.start(chat().context(CallContext.builder().attribute("region", "us").experiment("mine", "x").build())
          .build()).end();
    }
    List<SpanData> spans = fx.finishedSpans();
    assertThat(attr(spans.get(0), "tenant")).isEqualTo("acme");
    assertThat(attr(spans.get(0), "region")).isEqualTo("eu");
    assertThat(attr(spans.get(0), "inference.experiment")).isEqualTo("checkout");
    assertThat(attr(spans.get(0), "inference.variant")).isEqualTo("a");
    assertThat(attr(spans.get(1), "region")).isEqualTo("us");
    assertThat(attr(spans.get(1), "inference.experiment")).isEqualTo("mine");
    assertThat(spans.toString()).doesNotContain(CANARY);
    assertThat(fx.meters.get("inference.client.duration").tags("experiment", "checkout", "variant", "a").timer()
        .count()).isEqualTo(1);
  }

  @Test
  void extractorsAndSpanNameAndMeterConventionApplyAndTheirFailuresAreContained() {
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled())
        .addAttributesExtractor(new AttributesExtractor() {
          @Override
          public void onStart(io.opentelemetry.api.common.AttributesBuilder a, CallDescriptor d) {
            a.put("app.model.family", d.model().startsWith("llama") ? "llama" : "other");
          }

          @Override
          public void onEnd(io.opentelemetry.api.common.AttributesBuilder a, CallRecord r) {
            a.put("app.slow", r.durationNanos() > TimeUnit.MILLISECONDS.toNanos(10));
          }
        })
        .addAttributesExtractor(new AttributesExtractor() {
          @Override
          public void onStart(io.opentelemetry.api.common.AttributesBuilder a, CallDescriptor d) {
            throw new IllegalStateException("boom");
          }
        })
        .spanNameExtractor(d -> "llm " + d.operation())
        .meterTagConvention(r -> Tags.of("tier", r.inputTokens() > 100 ? "long" : "short", "model", "hijack"))
        .build();
    Call call = t.start(chat().build());
    call.tokens(500, 1);
    clock.advance(Duration.ofMillis(20));
    call.end();
    SpanData span = fx.onlySpan();
    assertThat(span.getName()).isEqualTo("llm chat");
    assertThat(attr(span, "app.model.family")).isEqualTo("llama");
    assertThat(attr(span, "app.slow")).isEqualTo(true);
    assertThat(fx.meters.get("inference.client.duration").tags("tier", "long", "model", "llama").timer().count())
        .isEqualTo(1);
    assertThat(fx.meters.get("gen_ai.client.operation.duration").tag("tier", "long").timer().count()).isEqualTo(1);

    InferenceTelemetry bad = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled())
        .spanNameExtractor(d -> { throw new IllegalStateException("no"); })
        .meterTagConvention(r -> { throw new IllegalStateException("no"); }).build();
    bad.start(chat().build()).end();
    assertThat(fx.finishedSpans().get(1).getName()).isEqualTo("chat llama");
    assertThat(fx.meters.get("inference.client.duration").tags("model", "llama").timers()).hasSize(2);
  }

  /**
   * An extractor that copies every value the descriptor and the record expose cannot carry a payload:
   * the payload is never in either. (Only the user's own code could bring one in.)
   */
  @Test
  void extractorsSeeNoPayloadBecauseThereIsNoneToSee() throws Exception {
    Map<String, String> seen = new HashMap<>();
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled())
        .addAttributesExtractor(new AttributesExtractor() {
          @Override
          public void onStart(io.opentelemetry.api.common.AttributesBuilder a, CallDescriptor d) {
            dump("d.", d, a, seen);
          }

          @Override
          public void onEnd(io.opentelemetry.api.common.AttributesBuilder a, CallRecord r) {
            dump("r.", r, a, seen);
            dump("rd.", r.descriptor(), a, seen);
          }
        }).build();
    // What a client does with a request whose prompt, completion and server error all carry the canary.
    Call call = t.start(chat().requestId("req-1").build());
    call.responseModel("llama");
    call.finishReasons(List.of("stop"));
    call.end(InferenceException.builder(ErrorType.INVALID_ARGUMENT, "bad input '" + CANARY + "'")
        .serverCode("E'" + CANARY + "'").build());
    assertThat(seen).containsKeys("d.model", "r.durationNanos", "r.errorCode", "rd.spanName");
    assertThat(seen.values()).noneMatch(v -> v.contains(CANARY));
    assertThat(seen.get("r.errorCode")).isEqualTo("null"); // an echo is not a code
    assertThat(fx.onlySpan().toString()).doesNotContain(CANARY);
    t.start(chat().build()).end(InferenceException.builder(ErrorType.NOT_FOUND, "no model")
        .serverCode("model_not_found").build());
    assertThat(seen.get("r.errorCode")).isEqualTo("model_not_found");
    assertThat(fx.finishedSpans().get(1).getStatus().getDescription()).isEqualTo("NOT_FOUND (server code model_not_found)");
  }

  private static void dump(String prefix, Object o, io.opentelemetry.api.common.AttributesBuilder a,
      Map<String, String> seen) {
    for (Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() == 0 && m.getDeclaringClass() == o.getClass()) {
        try {
          String v = String.valueOf(m.invoke(o));
          a.put(prefix + m.getName(), v);
          seen.put(prefix + m.getName(), v);
        } catch (ReflectiveOperationException e) {
          throw new AssertionError(e);
        }
      }
    }
  }

  @Test
  void aDescriptorsGpuSourceBeatsTheTelemetryDefault() {
    GpuStateSource global = source("GPU-global");
    GpuStateSource mine = source("GPU-mine");
    InferenceTelemetry t = fx.telemetry().clock(clock).logPolicy(LogPolicy.disabled()).gpuStateSource(global).build();
    t.start(chat().build()).end();
    t.start(chat().gpuSource(mine).build()).end();
    t.start(chat().gpuSource(GpuStateSource.none()).build()).end();
    List<SpanData> spans = fx.finishedSpans();
    assertThat(attr(spans.get(0), "hw.id")).isEqualTo("GPU-global");
    assertThat(attr(spans.get(1), "hw.id")).isEqualTo("GPU-mine");
    assertThat(attr(spans.get(2), "hw.id")).isNull();
  }

  @Test
  void impossibleContextSettingsFailAtBuildTime() {
    assertThatThrownBy(() -> CallContext.builder().attribute("gen_ai.system", "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gen_ai.");
    assertThatThrownBy(() -> CallContext.builder().attribute("1abc", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CallContext.builder().attribute("k", "")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CallContext.builder().attribute("k", "a\nb")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CallContext.builder().attribute("k", "x".repeat(257)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CallContext.builder().experiment(null, "b")).isInstanceOf(IllegalArgumentException.class);
    CallContext.Builder many = CallContext.builder();
    for (int i = 0; i < CallContext.MAX_ATTRIBUTES; i++) {
      many.attribute("k" + i, "v");
    }
    assertThatThrownBy(() -> many.attribute("one.more", "v")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InferenceTelemetry.builder().meterAttributes("model"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already");
    assertThatThrownBy(() -> InferenceTelemetry.builder().attributesFromBaggage("http.route"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> InferenceTelemetry.builder().experimentFromBaggage("a", "a"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(CallContext.builder().build()).isSameAs(CallContext.empty());
    assertThat(CallContext.builder().userId("u").build().toString()).doesNotContain("=u");
  }

  private static GpuStateSource source(String id) {
    return GpuStateSource.fixed(List.of(new GpuSnapshot(id, 0, "H100", 0.5, 1, 2, 60, 300, System.nanoTime(),
        "test", false)));
  }

  private static Object attr(SpanData span, String key) {
    return span.getAttributes().asMap().entrySet().stream().filter(e -> e.getKey().getKey().equals(key))
        .map(Map.Entry::getValue).findFirst().orElse(null);
  }

  @SuppressWarnings("unused")
  private static AttributeKey<String> key(String k) {
    return AttributeKey.stringKey(k);
  }
}
