package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferscope.core.InferenceSystem;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferenceStats;
import dev.inferscope.spring.VllmClients;
import dev.inferscope.testkit.vllm.VllmSimulator;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.Completion;
import dev.inferscope.vllm.VllmClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class InferscopeVllmAutoConfigurationTest {
  private static VllmSimulator sim;

  @BeforeAll
  static void start() {
    sim = VllmSimulator.builder().models("llama").timeToFirstToken(Duration.ofMillis(5))
        .interTokenGap(Duration.ofMillis(1)).tokensPerResponse(4).start();
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class,
          InferscopeVllmAutoConfiguration.class));

  private ApplicationContextRunner withEndpoints() {
    return runner.withPropertyValues(
        "inferscope.vllm.endpoints.chat.base-url=" + sim.baseUri(),
        "inferscope.vllm.endpoints.chat.models=llama,missing",
        "inferscope.vllm.endpoints.chat.deadline=5s",
        "inferscope.vllm.endpoints.backup.base-url=" + sim.baseUri());
  }

  @Test
  void eachEndpointBecomesANamedClientBean() {
    withEndpoints().withUserConfiguration(Injected.class).run(ctx -> {
      assertThat(ctx).hasNotFailed();
      assertThat(ctx.getBeansOfType(VllmClient.class)).containsOnlyKeys("chat", "backup");
      VllmClients clients = ctx.getBean(VllmClients.class);
      assertThat(clients.names()).containsExactly("backup", "chat");
      assertThat(clients.get("chat")).isSameAs(ctx.getBean("chat"));
      assertThat(ctx.getBean(Injected.class).client).isSameAs(ctx.getBean("chat"));
      assertThatThrownBy(() -> clients.get("nope")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("backup");

      Completion c = clients.get("chat").chat(ChatRequest.builder("llama").user("hello").build());
      assertThat(c.text()).isNotEmpty();
      assertThat(ctx.getBean(InferenceStats.class).snapshot()).singleElement().satisfies(s -> {
        assertThat(s.endpoint()).isEqualTo("chat");
        assertThat(s.model()).isEqualTo("llama");
        assertThat(s.system()).isEqualTo("vllm");
      });

      InferenceEndpoints endpoints = ctx.getBean(InferenceEndpoints.class);
      assertThat(endpoints.all()).extracting(InferenceEndpoints.Endpoint::name).containsExactly("backup", "chat");
      InferenceEndpoints.Endpoint chat = endpoints.get("chat");
      assertThat(chat.system()).isEqualTo(InferenceSystem.VLLM);
      assertThat(chat.target()).isEqualTo(sim.baseUri().toString().replaceAll("/$", ""));
      InferenceEndpoints.Readiness r = chat.readiness().check(Duration.ofSeconds(5));
      assertThat(r.serverReady()).isTrue();
      assertThat(r.models()).containsEntry("llama", true).containsEntry("missing", false);
      assertThat(r.ready()).isFalse();
      assertThat(endpoints.get("backup").readiness().check(Duration.ofSeconds(5)).ready()).isTrue();
    });
  }

  @Test
  void aBeanTheApplicationDefinesUnderTheEndpointNameWins() {
    VllmClient own = VllmClient.builder(URI.create("http://127.0.0.1:1")).build();
    try {
      withEndpoints().withBean("chat", VllmClient.class, () -> own).run(ctx -> {
        assertThat(ctx).hasNotFailed();
        assertThat(ctx.getBean("chat")).isSameAs(own);
        assertThat(ctx.getBean(VllmClients.class).get("chat")).isSameAs(own);
        assertThat(ctx.getBean("backup")).isNotSameAs(own);
      });
    } finally {
      own.close();
    }
  }

  @Test
  void customizersSeeEveryEndpoint() {
    AtomicInteger customized = new AtomicInteger();
    withEndpoints().withBean(VllmClientBuilderCustomizer.class,
        () -> (name, b) -> {
          customized.incrementAndGet();
          b.apiKey("key-" + name);
        })
        .run(ctx -> {
          assertThat(customized).hasValue(2);
          ((VllmClient) ctx.getBean("backup")).chat(ChatRequest.builder("llama").user("x").build());
          List<VllmSimulator.RecordedRequest> reqs = sim.requests("/v1/chat/completions");
          assertThat(reqs.get(reqs.size() - 1).authorization()).isEqualTo("Bearer key-backup");
        });
  }

  @Test
  void missingBaseUrlFailsTheStartupClearly() {
    runner.withPropertyValues("inferscope.vllm.endpoints.chat.api-key=sk-canary").run(ctx ->
        assertThat(ctx).getFailure().rootCause().hasMessageContaining("inferscope.vllm.endpoints.chat.base-url")
            .message().doesNotContain("sk-canary"));
  }

  @Test
  void sameNameForTritonAndVllmIsRejected() {
    // simulate a Triton client registered first under the same name
    runner.withPropertyValues("inferscope.vllm.endpoints.shared.base-url=" + sim.baseUri())
        .withInitializer(ctx -> ((org.springframework.beans.factory.support.BeanDefinitionRegistry) ctx.getBeanFactory())
            .registerBeanDefinition("shared", marked("triton")))
        .run(ctx -> assertThat(ctx).getFailure()
            .hasMessageContaining("'shared' is used by both triton and vllm"));
  }

  private static org.springframework.beans.factory.support.RootBeanDefinition marked(String system) {
    var d = new org.springframework.beans.factory.support.RootBeanDefinition(Object.class, Object::new);
    d.setAttribute(EndpointClientRegistrar.SYSTEM_ATTRIBUTE, system);
    return d;
  }

  @Test
  void noVllmBeansWithoutTheVllmClient() {
    withEndpoints().withClassLoader(new FilteredClassLoader(VllmClient.class)).run(ctx -> {
      assertThat(ctx).hasNotFailed().doesNotHaveBean(VllmClients.class).doesNotHaveBean("chat");
    });
  }

  @Test
  void noVllmBeansWhenDisabled() {
    withEndpoints().withPropertyValues("inferscope.enabled=false").run(ctx ->
        assertThat(ctx).hasNotFailed().doesNotHaveBean("chat").doesNotHaveBean(VllmClients.class));
  }

  @Test
  void scrapedQueueDepthReachesTheMeterRegistryAndClientsAreClosedOnShutdown() throws Exception {
    ConfigurableApplicationContext[] holder = new ConfigurableApplicationContext[1];
    withEndpoints().withPropertyValues("inferscope.vllm.endpoints.chat.metrics.enabled=true",
            "inferscope.vllm.endpoints.chat.metrics.interval=1h")
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .run(ctx -> {
          VllmClient chat = (VllmClient) ctx.getBean("chat");
          assertThat(chat.serverMetrics()).isNotNull();
          chat.serverMetrics().refresh();
          // the first scrape may still be registering the gauge on the scraper's own thread
          MeterRegistry registry = ctx.getBean(MeterRegistry.class);
          assertThat(Await.until(Duration.ofSeconds(5), () -> registry.find("inference.server.queue.depth")
              .tag("endpoint", "chat").tag("model", "llama").gauge() != null)).isTrue();
          assertThat(scraperThreads()).isNotEmpty();
          holder[0] = ctx.getSourceApplicationContext();
        });
    assertThat(holder[0].isActive()).isFalse();
    for (Thread t : scraperThreads()) {
      t.join(5_000);
      assertThat(t.isAlive()).as("thread %s stopped", t.getName()).isFalse();
    }
  }

  private static List<Thread> scraperThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("inferscope-scraper-127.0.0.1")).toList();
  }

  @Configuration(proxyBeanMethods = false)
  static class Injected {
    final VllmClient client;

    Injected(@Qualifier("chat") VllmClient client) {
      this.client = client;
    }
  }
}
