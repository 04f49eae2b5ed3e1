package dev.inferscope.spring.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferenceStats;
import dev.inferscope.spring.TestCalls;
import dev.inferscope.spring.autoconfigure.InferscopeAutoConfiguration;
import dev.inferscope.spring.autoconfigure.InferscopeHealthAutoConfiguration;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class InferscopeHealthTest {
  private final TestCalls calls = new TestCalls();

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class,
          InferscopeHealthAutoConfiguration.class, EndpointAutoConfiguration.class,
          HealthContributorAutoConfiguration.class, HealthContributorRegistryAutoConfiguration.class,
          HealthEndpointAutoConfiguration.class))
      .withPropertyValues("management.endpoint.health.show-details=always",
          "management.endpoint.health.status.order=down,out-of-service,degraded,up,unknown")
      .withBean(InferenceStats.class, () -> new InferenceStats(100, 0, Duration.ofSeconds(5), calls.clock));

  @Test
  void inferenceIsDegradedUnderBacklogWhileServerReadinessIsUp() {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed().hasBean("inferenceHealthIndicator").hasBean("inferenceServersHealthContributor");
      ctx.getBean(InferenceEndpoints.class).register(new InferenceEndpoints.Endpoint("vision", InferenceSystem.TRITON,
          "localhost:8001", ResiliencePolicy.none(),
          timeout -> new InferenceEndpoints.Readiness(true, Map.of("resnet", true), null)));
      InferenceStats stats = ctx.getBean(InferenceStats.class);
      HealthEndpoint endpoint = ctx.getBean(HealthEndpoint.class);

      for (int i = 0; i < 10; i++) {
        stats.onCallEnd(calls.infer("vision", "resnet", 300, 20, 150));
      }
      assertThat(endpoint.healthForPath("inference").getStatus()).isEqualTo(Status.UP);

      for (int i = 0; i < 15; i++) {
        stats.onCallEnd(calls.infer("vision", "resnet", 2000, 1800, 150));
      }
      HealthDescriptor inference = endpoint.healthForPath("inference");
      assertThat(inference.getStatus().getCode()).isEqualTo("DEGRADED");
      assertThat(((IndicatedHealthDescriptor) inference).getDetails()).containsKey("reasons");

      HealthDescriptor servers = endpoint.healthForPath("inferenceServers");
      assertThat(servers.getStatus()).isEqualTo(Status.UP);
      HealthDescriptor vision = ((CompositeHealthDescriptor) servers).getComponents().get("vision");
      assertThat(vision.getStatus()).isEqualTo(Status.UP);
      assertThat(((IndicatedHealthDescriptor) vision).getDetails())
          .containsEntry("serverReady", true).containsEntry("target", "localhost:8001")
          .containsEntry("models", Map.of("resnet", true));
      // the overall status follows the configured order: DEGRADED ranks above UP
      assertThat(endpoint.health().getStatus().getCode()).isEqualTo("DEGRADED");
    });
  }

  @Test
  void serverReadinessIsDownWhenAModelIsNotReadyOrTheProbeFails() {
    runner.run(ctx -> {
      InferenceEndpoints endpoints = ctx.getBean(InferenceEndpoints.class);
      endpoints.register(new InferenceEndpoints.Endpoint("a", InferenceSystem.TRITON, "a:1", ResiliencePolicy.none(),
          timeout -> new InferenceEndpoints.Readiness(true, Map.of("m", false), null)));
      endpoints.register(new InferenceEndpoints.Endpoint("b", InferenceSystem.VLLM, "http://b", ResiliencePolicy.none(),
          timeout -> { throw new IllegalStateException("no"); }));
      endpoints.register(new InferenceEndpoints.Endpoint("c", InferenceSystem.VLLM, "http://c", ResiliencePolicy.none(),
          null));
      HealthEndpoint endpoint = ctx.getBean(HealthEndpoint.class);
      CompositeHealthDescriptor servers = (CompositeHealthDescriptor) endpoint.healthForPath("inferenceServers");
      assertThat(servers.getStatus()).isEqualTo(Status.DOWN);
      assertThat(servers.getComponents()).containsOnlyKeys("a", "b");
      assertThat(servers.getComponents().get("a").getStatus()).isEqualTo(Status.DOWN);
      assertThat(((IndicatedHealthDescriptor) servers.getComponents().get("b")).getDetails())
          .containsEntry("error", "probe failed: IllegalStateException");
    });
  }

  @Test
  void theProbeGetsTheConfiguredTimeout() {
    CountDownLatch probed = new CountDownLatch(1);
    runner.withPropertyValues("inferscope.health.readiness-timeout=300ms").run(ctx -> {
      ctx.getBean(InferenceEndpoints.class).register(new InferenceEndpoints.Endpoint("a", InferenceSystem.TRITON, "a:1",
          ResiliencePolicy.none(), timeout -> {
            assertThat(timeout).isEqualTo(Duration.ofMillis(300));
            probed.countDown();
            return new InferenceEndpoints.Readiness(true, Map.of(), null);
          }));
      ctx.getBean(HealthEndpoint.class).healthForPath("inferenceServers", "a");
      assertThat(probed.await(5, TimeUnit.SECONDS)).isTrue();
    });
  }

  @Test
  void contributorsCanBeSwitchedOff() {
    runner.withPropertyValues("management.health.inference.enabled=false",
        "management.health.inference-servers.enabled=false").run(ctx -> {
          assertThat(ctx).hasNotFailed().doesNotHaveBean("inferenceHealthIndicator")
              .doesNotHaveBean("inferenceServersHealthContributor");
        });
  }

  @Test
  void backsOffWhenTheApplicationDefinesItsOwnContributor() {
    HealthIndicator own = () -> Health.up().withDetail("own", true).build();
    runner.withBean("inferenceHealthIndicator", HealthIndicator.class, () -> own).run(ctx -> {
      assertThat(ctx.getBean("inferenceHealthIndicator")).isSameAs(own);
      assertThat(ctx).doesNotHaveBean(InferenceHealthIndicator.class);
    });
  }

  @Test
  void noHealthContributorsWithoutBootsHealthModule() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class, InferscopeHealthAutoConfiguration.class))
        .withClassLoader(new FilteredClassLoader("org.springframework.boot.health"))
        .run(ctx -> {
          assertThat(ctx).hasNotFailed().hasSingleBean(InferenceEndpoints.class)
              .doesNotHaveBean("inferenceHealthIndicator").doesNotHaveBean("inferenceServersHealthContributor");
        });
  }

  @Test
  void noHealthContributorsWhenInferscopeIsDisabled() {
    runner.withPropertyValues("inferscope.enabled=false").run(ctx ->
        assertThat(ctx).hasNotFailed().doesNotHaveBean("inferenceHealthIndicator"));
  }
}
