package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.Phase;
import dev.inferscope.spring.ClientPerceivedHealth;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferenceStats;
import dev.inferscope.spring.TritonClients;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.triton.InferRequest;
import dev.inferscope.triton.InferResult;
import dev.inferscope.triton.Tensor;
import dev.inferscope.triton.TritonClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

class InferscopeTritonAutoConfigurationTest {
  private static TritonSimulator sim;

  @BeforeAll
  static void start() {
    sim = TritonSimulator.builder()
        .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).computeTime(Duration.ofMillis(1)).build())
        .model(SimulatedModel.builder("slow").input("INPUT0", "FP32", 1, 4).computeTime(Duration.ofMillis(100))
            .instances(1).build())
        .start();
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  static InferRequest request(String model) {
    return InferRequest.builder(model).input(Tensor.fp32("INPUT0", new long[] {1, 4}, 1f, 2f, 3f, 4f)).build();
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class,
          InferscopeTritonAutoConfiguration.class));

  @Test
  void grpcEndpointBecomesANamedClientBeanThatCallsThroughTheTelemetry() {
    runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget(),
            "inferscope.triton.endpoints.vision.models=echo,missing",
            "inferscope.triton.endpoints.vision.deadline=5s")
        .withUserConfiguration(Injected.class)
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBeansOfType(TritonClient.class)).containsOnlyKeys("vision");
          TritonClient vision = ctx.getBean(Injected.class).client;
          assertThat(vision).isSameAs(ctx.getBean(TritonClients.class).get("vision"));
          assertThat(vision.transport()).isEqualTo("grpc");
          assertThat(vision.statisticsPoller()).isNotNull();

          InferResult r = vision.infer(request("echo"));
          assertThat(r.outputs()).isNotEmpty();
          assertThat(ctx.getBean(InferenceStats.class).snapshot()).singleElement().satisfies(s -> {
            assertThat(s.endpoint()).isEqualTo("vision");
            assertThat(s.model()).isEqualTo("echo");
            assertThat(s.system()).isEqualTo("triton");
          });

          InferenceEndpoints.Endpoint e = ctx.getBean(InferenceEndpoints.class).get("vision");
          assertThat(e.system()).isEqualTo(InferenceSystem.TRITON);
          assertThat(e.target()).isEqualTo(sim.grpcTarget());
          InferenceEndpoints.Readiness ready = e.readiness().check(Duration.ofSeconds(5));
          assertThat(ready.serverReady()).isTrue();
          assertThat(ready.models()).containsEntry("echo", true).containsEntry("missing", false);
          // readiness probes are calls too, but they stay out of the per-model windows
          assertThat(ctx.getBean(InferenceStats.class).snapshot()).hasSize(1);
        });
  }

  @Test
  void bothTransportsGiveTwoBeansSharingOneEndpoint() {
    runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget(),
            "inferscope.triton.endpoints.vision.http-url=" + sim.httpUri(),
            "inferscope.triton.endpoints.other.http-url=" + sim.httpUri())
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          assertThat(ctx.getBeansOfType(TritonClient.class)).containsOnlyKeys("vision", "vision-http", "other");
          assertThat(((TritonClient) ctx.getBean("vision")).transport()).isEqualTo("grpc");
          assertThat(((TritonClient) ctx.getBean("vision-http")).transport()).isEqualTo("http");
          assertThat(((TritonClient) ctx.getBean("other")).transport()).isEqualTo("http");
          assertThat(ctx.getBean(TritonClients.class).names()).containsExactly("other", "vision", "vision-http");
          ((TritonClient) ctx.getBean("vision-http")).infer(request("echo"));
          assertThat(ctx.getBean(InferenceEndpoints.class).all()).extracting(InferenceEndpoints.Endpoint::name)
              .containsExactly("other", "vision");
          assertThat(ctx.getBean(InferenceEndpoints.class).get("vision").target()).isEqualTo(sim.grpcTarget());
        });
  }

  @Test
  void missingTargetFailsClearly() {
    runner.withPropertyValues("inferscope.triton.endpoints.vision.deadline=1s").run(ctx ->
        assertThat(ctx).getFailure().rootCause()
            .hasMessageContaining("inferscope.triton.endpoints.vision.grpc-target or"));
  }

  @Test
  void sslBundleOnGrpcFailsClearly() {
    runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget(),
            "inferscope.triton.endpoints.vision.tls.bundle=mine")
        .run(ctx -> assertThat(ctx).getFailure().rootCause().hasMessageContaining("tls.bundle applies to HTTP"));
  }

  @Test
  void clientCertificateWithoutKeyFailsClearly() {
    runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget(),
            "inferscope.triton.endpoints.vision.tls.client-certificate=/nonexistent/cert.pem")
        .run(ctx -> assertThat(ctx).getFailure().rootCause().hasMessageContaining("go together"));
  }

  @Test
  void aBeanTheApplicationDefinesUnderTheEndpointNameWins() {
    TritonClient own = TritonClient.grpc(sim.grpcTarget()).build();
    try {
      runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget())
          .withBean("vision", TritonClient.class, () -> own)
          .run(ctx -> {
            assertThat(ctx.getBean("vision")).isSameAs(own);
            assertThat(ctx.getBean(TritonClients.class).get("vision")).isSameAs(own);
            // the starter did not build its own client, so it knows no such endpoint
            assertThat(ctx.getBean(InferenceEndpoints.class).get("vision")).isNull();
          });
    } finally {
      own.close();
    }
  }

  @Test
  void customizersAndNoStatisticsPollingWithoutModels() {
    List<String> seen = new ArrayList<>();
    runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget())
        .withBean(TritonClientBuilderCustomizer.class, () -> (name, transport, b) -> seen.add(name + ":" + transport))
        .run(ctx -> {
          assertThat(seen).containsExactly("vision:grpc");
          assertThat(((TritonClient) ctx.getBean("vision")).statisticsPoller()).isNull();
        });
  }

  @Test
  void noTritonBeansWithoutTheTritonClient() {
    runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget())
        .withClassLoader(new FilteredClassLoader(TritonClient.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean("vision").doesNotHaveBean(TritonClients.class));
  }

  @Test
  void backlogShowsAsScrapedQueueDepthAndQueueTimeAndDegradesClientHealth() throws Exception {
    runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget(),
            "inferscope.triton.endpoints.vision.models=slow",
            "inferscope.triton.endpoints.vision.statistics-interval=200ms",
            "inferscope.triton.endpoints.vision.metrics.url=" + sim.httpUri() + "/metrics",
            "inferscope.triton.endpoints.vision.metrics.interval=1h",
            "inferscope.health.queue-backlog-threshold=3",
            "inferscope.health.queue-time-threshold=1h",
            // only the queue depth signal here (eight calls are too few for burn rates anyway)
            "inferscope.slo.enabled=false")
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(ctx -> {
          TritonClient vision = (TritonClient) ctx.getBean("vision");
          ClientPerceivedHealth health = ctx.getBean(ClientPerceivedHealth.class);
          TritonQueueDepth scraper = ctx.getBean(TritonClientFactory.class).scrapers().get(0);
          scraper.refresh();
          assertThat(health.evaluate().degraded()).isFalse();

          List<CompletableFuture<InferResult>> calls = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            calls.add(vision.inferAsync(request("slow")));
          }
          assertThat(Await.until(Duration.ofSeconds(5), () -> sim.pending("slow") >= 5)).isTrue();
          scraper.refresh();
          assertThat(scraper.depth("slow")).isGreaterThan(3);
          ClientPerceivedHealth.Result r = health.evaluate();
          assertThat(r.degraded()).isTrue();
          assertThat(r.reasons()).anySatisfy(reason -> assertThat(reason).contains("server queue backlog: vision/slow"));

          CompletableFuture.allOf(calls.toArray(new CompletableFuture[0])).get(20, TimeUnit.SECONDS);
          scraper.refresh();
          assertThat(health.evaluate().degraded()).isFalse();
        });
  }

  @Test
  void serverQueueTimeFromStatisticsReachesTheStatsAndHealth() throws Exception {
    runner.withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget(),
            "inferscope.triton.endpoints.vision.models=slow",
            "inferscope.triton.endpoints.vision.statistics-interval=100ms",
            "inferscope.health.queue-time-threshold=80ms",
            "inferscope.health.min-calls=3")
        .run(ctx -> {
          TritonClient vision = (TritonClient) ctx.getBean("vision");
          // three rounds of 6 concurrent calls on a 100 ms, single-instance model: each round queues
          for (int round = 0; round < 3; round++) {
            List<CompletableFuture<InferResult>> calls = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
              calls.add(vision.inferAsync(request("slow")));
            }
            CompletableFuture.allOf(calls.toArray(new CompletableFuture[0])).get(20, TimeUnit.SECONDS);
          }
          InferenceStats.ModelStats s = ctx.getBean(InferenceStats.class).snapshot().get(0);
          assertThat(s.phase(Phase.SERVER_QUEUE)).as("server queue estimated from statistics").isNotNull();
          // the interval average is capped per call so the partition sums to each call's total (issue 14):
          // the first call of a round, which did not wait, gets none of it
          assertThat(s.phase(Phase.SERVER_QUEUE).p50Millis()).isGreaterThan(80);
          assertThat(ctx.getBean(ClientPerceivedHealth.class).evaluate().reasons())
              .anySatisfy(reason -> assertThat(reason).contains("server queue time: vision/slow"));
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class Injected {
    final TritonClient client;

    Injected(@Qualifier("vision") TritonClient client) {
      this.client = client;
    }
  }
}
