package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.GpuStateSource;
import dev.inferscope.testkit.TestGpus;
import dev.inferscope.testkit.vllm.VllmSimulator;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.spring.VllmClients;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/** {@code inferscope.context.*} and each endpoint's {@code gpu-source}, through the Spring beans. */
class EndpointContextAndGpuTest {
  private static VllmSimulator sim;
  private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();

  @BeforeAll
  static void start() {
    sim = VllmSimulator.builder().models("llama").timeToFirstToken(Duration.ofMillis(1)).tokensPerResponse(2).start();
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class, InferscopeVllmAutoConfiguration.class))
      .withUserConfiguration(Beans.class)
      .withPropertyValues(
          "inferscope.vllm.endpoints.chat.base-url=" + sim.baseUri(),
          "inferscope.vllm.endpoints.chat.gpu-source=gpuOfChat",
          "inferscope.vllm.endpoints.backup.base-url=" + sim.baseUri(),
          "inferscope.vllm.endpoints.quiet.base-url=" + sim.baseUri(),
          "inferscope.vllm.endpoints.quiet.gpu-source=none",
          "inferscope.context.baggage-attributes=tenant",
          "inferscope.context.experiment-baggage-key=ab.experiment",
          "inferscope.context.variant-baggage-key=ab.variant",
          "inferscope.context.meter-attributes=tenant");

  @Test
  void endpointsCarryTheirOwnGpuAndCallsPickUpBaggage() {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed();
      SPANS.reset();
      VllmClients clients = ctx.getBean(VllmClients.class);
      Baggage baggage = Baggage.builder().put("tenant", "acme").put("ab.experiment", "layout").put("ab.variant", "b")
          .build();
      try (Scope s = baggage.makeCurrent()) {
        for (String name : List.of("chat", "backup", "quiet")) {
          clients.get(name).chat(ChatRequest.builder("llama").user("hi").build());
        }
      }
      List<SpanData> spans = SPANS.getFinishedSpanItems();
      assertThat(spans).extracting(sp -> sp.getAttributes().get(AttributeKey.stringKey("hw.id")))
          .containsExactly("GPU-chat", "GPU-app", null);
      assertThat(spans).allSatisfy(sp -> {
        assertThat(sp.getAttributes().get(AttributeKey.stringKey("tenant"))).isEqualTo("acme");
        assertThat(sp.getAttributes().get(AttributeKey.stringKey("inference.experiment"))).isEqualTo("layout");
      });
      io.micrometer.core.instrument.MeterRegistry registry = ctx.getBean(io.micrometer.core.instrument.MeterRegistry.class);
      assertThat(registry.find("inference.client.duration").tags("tenant", "acme", "experiment", "layout",
          "variant", "b").timers()).hasSize(3);
    });
  }

  @Test
  void anUnknownGpuSourceBeanFailsStartupByName() {
    runner.withPropertyValues("inferscope.vllm.endpoints.chat.gpu-source=nosuch").run(ctx -> {
      assertThat(ctx).hasFailed();
      assertThat(ctx.getStartupFailure()).rootCause().hasMessageContaining("nosuch");
      assertThat(ctx.getStartupFailure()).hasStackTraceContaining("inferscope.vllm.endpoints.chat.gpu-source=nosuch");
    });
  }

  @Test
  void anInvalidContextKeyOrAHalfExperimentFailsStartup() {
    runner.withPropertyValues("inferscope.context.meter-attributes=model").run(ctx ->
        assertThat(ctx.getStartupFailure()).hasStackTraceContaining("'model' is a tag of the duration meters"));
    runner.withPropertyValues("inferscope.context.experiment-baggage-key=", "inferscope.context.variant-baggage-key=v")
        .run(ctx -> assertThat(ctx).hasFailed());
  }

  @Configuration(proxyBeanMethods = false)
  static class Beans {
    @Bean
    OpenTelemetry openTelemetry() {
      return OpenTelemetrySdk.builder()
          .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(SPANS)).build())
          .build();
    }

    @Bean
    io.micrometer.core.instrument.MeterRegistry meterRegistry() {
      return new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    }

    @Bean
    @Primary
    GpuStateSource gpuOfApp() {
      return TestGpus.source("GPU-app");
    }

    @Bean
    GpuStateSource gpuOfChat() {
      return TestGpus.source("GPU-chat");
    }
  }

}
