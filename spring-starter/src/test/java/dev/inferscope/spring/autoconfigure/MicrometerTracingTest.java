package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.TraceContext;
import dev.inferscope.spring.VllmClients;
import dev.inferscope.testkit.vllm.VllmSimulator;
import dev.inferscope.vllm.ChatRequest;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Boot apps on Micrometer Tracing: Inferscope's span of a call made inside the app's current span
 * is that span's child, one per call, and the server receives the same trace — on the Brave bridge
 * (through the starter's Micrometer Tracing adapter) and on the OpenTelemetry bridge (through the
 * OpenTelemetry bean Spring Boot makes).
 */
class MicrometerTracingTest {
  private static VllmSimulator sim;

  @BeforeAll
  static void start() {
    sim = VllmSimulator.builder().models("llama").timeToFirstToken(Duration.ofMillis(1)).tokensPerResponse(2).start();
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  private static ApplicationContextRunner runner(AutoConfigurations tracing) {
    return new ApplicationContextRunner()
        .withConfiguration(tracing)
        .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class,
            InferscopeVllmAutoConfiguration.class))
        .withPropertyValues("management.tracing.sampling.probability=1.0",
            "inferscope.vllm.endpoints.chat.base-url=" + sim.baseUri());
  }

  /** Calls the chat endpoint inside an application span; returns that span's trace and span id. */
  private static String[] callInsideAppSpan(Tracer tracer, VllmClients clients) {
    Span app = tracer.nextSpan().name("http post /ask").start();
    try (Tracer.SpanInScope ignored = tracer.withSpan(app)) {
      clients.get("chat").chat(ChatRequest.builder("llama").user("hi").build());
      clients.get("chat").chatStream(ChatRequest.builder("llama").user("hi").build()).collect();
    } finally {
      app.end();
    }
    return new String[] {app.context().traceId(), app.context().spanId()};
  }

  @Test
  void onBraveInferscopesSpansAreChildrenOfTheAppsSpan() {
    runner(AutoConfigurations.of(
        org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration.class,
        org.springframework.boot.micrometer.tracing.brave.autoconfigure.BraveAutoConfiguration.class))
        .withUserConfiguration(BraveSpans.class)
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx).doesNotHaveBean(io.opentelemetry.api.OpenTelemetry.class);
          int before = sim.requests("/v1/chat/completions").size();
          String[] app = callInsideAppSpan(ctx.getBean(Tracer.class), ctx.getBean(VllmClients.class));
          List<MutableSpan> spans = ctx.getBean(BraveSpans.class).spans;
          List<MutableSpan> ours = spans.stream().filter(s -> "chat llama".equals(s.name())).toList();
          assertThat(ours).hasSize(2).allSatisfy(s -> {
            assertThat(s.traceId()).isEqualTo(app[0]);
            assertThat(s.parentId()).isEqualTo(app[1]);
            assertThat(s.kind()).isEqualTo(brave.Span.Kind.CLIENT);
            assertThat(s.tag("inference.system")).isEqualTo("vllm");
            assertThat(s.tag("gen_ai.request.model")).isEqualTo("llama");
            assertThat(s.tag("inference.phase.network.duration")).isNotNull();
          });
          List<VllmSimulator.RecordedRequest> seen = sim.requests("/v1/chat/completions");
          assertThat(seen.subList(before, seen.size())).hasSize(2).allSatisfy(r ->
              assertThat(r.traceparent()).as("the server joins the app's trace").contains(app[0]));
        });
  }

  @Test
  void onTheOpenTelemetryBridgeInferscopesSpansAreChildrenOfTheAppsSpan() {
    runner(AutoConfigurations.of(
        org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration.class,
        org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration.class,
        org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration.class))
        .withUserConfiguration(OtelSpans.class)
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          int before = sim.requests("/v1/chat/completions").size();
          String[] app = callInsideAppSpan(ctx.getBean(Tracer.class), ctx.getBean(VllmClients.class));
          ctx.getBean(SdkTracerProvider.class).forceFlush().join(10, java.util.concurrent.TimeUnit.SECONDS);
          List<SpanData> spans = ctx.getBean(InMemorySpanExporter.class).getFinishedSpanItems();
          List<SpanData> ours = spans.stream().filter(s -> s.getName().equals("chat llama")).toList();
          assertThat(ours).hasSize(2).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(app[0]);
            assertThat(s.getParentSpanId()).isEqualTo(app[1]);
            assertThat(s.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.CLIENT);
          });
          List<VllmSimulator.RecordedRequest> seen = sim.requests("/v1/chat/completions");
          assertThat(seen.subList(before, seen.size())).hasSize(2)
              .allSatisfy(r -> assertThat(r.traceparent()).contains(app[0]));
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class BraveSpans {
    final List<MutableSpan> spans = new CopyOnWriteArrayList<>();

    @Bean
    SpanHandler capture() {
      return new SpanHandler() {
        @Override
        public boolean end(TraceContext context, MutableSpan span, Cause cause) {
          spans.add(span);
          return true;
        }
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OtelSpans {
    @Bean
    InMemorySpanExporter inMemorySpanExporter() {
      return InMemorySpanExporter.create();
    }
  }
}
