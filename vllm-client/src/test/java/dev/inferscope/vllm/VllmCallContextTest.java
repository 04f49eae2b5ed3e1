package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.CallContext;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.Closer;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.TestGpus;
import dev.inferscope.testkit.vllm.VllmSimulator;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Per-call context on every vLLM request type and call path, and a GPU source per client. Public API only. */
class VllmCallContextTest {
  private static final String CANARY = "CANARY-c0ntext-payload";
  @RegisterExtension
  final Closer closer = new Closer();
  private final TelemetryCapture capture = closer.add(new TelemetryCapture());
  private final List<CallRecord> records = new CopyOnWriteArrayList<>();


  private VllmClient client(GpuStateSource gpu) {
    VllmSimulator s = VllmSimulator.builder().tokensPerResponse(3).start();
    closer.add(s);
    VllmClient c = VllmClient.builder(s.baseUri()).resilience(ResiliencePolicy.none())
        .roundTripProbeInterval(Duration.ZERO)
        .telemetry(capture.telemetry(b -> b.addListener(records::add).meterAttributes("tenant")
            .attributesFromBaggage("tenant").experimentFromBaggage("ab.experiment", "ab.variant")))
        .gpuSource(gpu).build();
    closer.add(c);
    return c;
  }

  private static CallContext context() {
    return CallContext.builder().experiment("prompt-v3", "b").attribute("tenant", "acme").userId(CANARY).build();
  }

  @Test
  void everyRequestTypeAndPathCarriesTheContext() throws Exception {
    VllmClient c = client(TestGpus.source("GPU-vllm"));
    ChatRequest chat = ChatRequest.builder("sim-llm").user("hi " + CANARY).context(context()).build();
    CompletionRequest text = CompletionRequest.of("sim-llm", "hi " + CANARY).withContext(context());
    c.chat(chat);
    c.chatAsync(chat).get(10, TimeUnit.SECONDS);
    try (CompletionStream st = c.chatStream(chat)) {
      st.collect();
    }
    c.complete(text);
    try (CompletionStream st = c.completeStream(text)) {
      st.collect();
    }
    c.embeddings("sim-llm", List.of("hi " + CANARY), context());
    drain(c.chatPublisher(chat));
    // the publisher's call may end on its reader thread just after onComplete
    dev.inferscope.testkit.Eventually.value(() -> capture.spans().size(), n -> n == 7, Duration.ofSeconds(5));

    List<SpanData> spans = capture.spans();
    assertThat(spans).hasSize(7);
    for (SpanData span : spans) {
      assertThat(span.getAttributes().get(AttributeKey.stringKey("inference.experiment"))).as(span.getName())
          .isEqualTo("prompt-v3");
      assertThat(span.getAttributes().get(AttributeKey.stringKey("inference.variant"))).isEqualTo("b");
      assertThat(span.getAttributes().get(AttributeKey.stringKey("tenant"))).isEqualTo("acme");
      assertThat(span.getAttributes().get(AttributeKey.stringKey("hw.id"))).isEqualTo("GPU-vllm");
    }
    assertThat(capture.everythingRecorded()).doesNotContain(CANARY);
    assertThat(capture.meters().find("inference.client.duration").tags("experiment", "prompt-v3", "tenant", "acme")
        .timers().stream().mapToLong(t -> t.count()).sum()).isEqualTo(7);
  }

  @Test
  void baggageTagsCallsTheRequestDidNotTag() {
    VllmClient c = client(GpuStateSource.none());
    Baggage b = Baggage.builder().put("tenant", "globex").put("ab.experiment", "layout").put("ab.variant", "a").build();
    try (Scope s = b.makeCurrent()) {
      c.chat(ChatRequest.builder("sim-llm").user("hi").build());
      c.chat(ChatRequest.builder("sim-llm").user("hi").context(context()).build());
    }
    assertThat(records.get(0).attributes()).containsEntry("tenant", "globex");
    assertThat(records.get(0).descriptor().experiment()).isEqualTo("layout");
    assertThat(records.get(1).attributes()).containsEntry("tenant", "acme");
    assertThat(records.get(1).descriptor().experiment()).isEqualTo("prompt-v3");
    assertThat(capture.spans().get(0).getAttributes().get(AttributeKey.stringKey("hw.id"))).isNull();
  }

  @Test
  void aConfidenceFunctionFeedsTheRecordAndNeverFailsTheCall() {
    VllmClient c = client(GpuStateSource.none());
    c.chat(ChatRequest.builder("sim-llm").user("hi").confidence(r -> 0.25).build());
    c.chat(ChatRequest.builder("sim-llm").user("hi").confidence(r -> 7).build());
    Completion ok = c.chat(ChatRequest.builder("sim-llm").user("hi").confidence(r -> { throw new IllegalStateException(); })
        .build());
    c.complete(CompletionRequest.of("sim-llm", "hi").withConfidence(r -> r.text().isEmpty() ? 0 : 0.9));
    assertThat(ok.text()).isNotEmpty();
    assertThat(records).extracting(CallRecord::confidence).containsExactly(0.25, Double.NaN, Double.NaN, 0.9);
  }

  @Test
  void healthAndModelListingAreProbesNotInferenceCalls() {
    VllmClient c = client(GpuStateSource.none());
    assertThat(c.health()).isTrue();
    assertThat(c.models()).isNotEmpty();
    assertThat(capture.spans()).isEmpty();
    assertThat(records).isEmpty();
    assertThat(capture.meters().find("inference.client.duration").timers()).isEmpty();
    c.chat(ChatRequest.builder("sim-llm").user("hi").build());
    assertThat(capture.meters().find("inference.client.duration").timers()).hasSize(1);
  }

  private static void drain(Flow.Publisher<StreamChunk> p) throws InterruptedException {
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    p.subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(StreamChunk item) { }

      @Override
      public void onError(Throwable t) {
        done.countDown();
      }

      @Override
      public void onComplete() {
        done.countDown();
      }
    });
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
  }

}
