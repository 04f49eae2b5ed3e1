package dev.inferscope.examples.springapp;

import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.testkit.vllm.VllmSimulator;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.Profiles;

/**
 * On the {@code simulators} profile (the default), starts the testkit's Triton and vLLM simulators on
 * 127.0.0.1 before the context refreshes, points the {@code vision} and {@code chat} endpoints at them,
 * and stops them when the context closes. The Triton model {@code resnet50} takes 150 ms on one
 * instance, so a handful of concurrent callers builds a server-side queue: the backlog scenario.
 */
public final class SimulatorsInitializer implements ApplicationContextInitializer<ConfigurableApplicationContext> {
  /** The profile that starts the simulators. */
  public static final String PROFILE = "simulators";

  @Override
  public void initialize(ConfigurableApplicationContext context) {
    ConfigurableEnvironment env = context.getEnvironment();
    if (!env.acceptsProfiles(Profiles.of(PROFILE))) {
      return;
    }
    Duration compute = env.getProperty("example.simulators.resnet-compute-time", Duration.class, Duration.ofMillis(150));
    TritonSimulator triton = TritonSimulator.builder()
        .model(SimulatedModel.builder("resnet50")
            .input("INPUT0", "FP32", 1, 3, 32, 32)
            .computeTime(compute)
            .instances(1)
            .build())
        .start();
    VllmSimulator vllm;
    try {
      vllm = VllmSimulator.builder()
          .models("llama-3-8b")
          .timeToFirstToken(Duration.ofMillis(60))
          .interTokenGap(Duration.ofMillis(8))
          .tokensPerResponse(16)
          .maxRunning(4)
          .perRequestMetrics(true)
          .start();
    } catch (RuntimeException e) {
      triton.close();
      throw e;
    }
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("inferscope.triton.endpoints.vision.grpc-target", triton.grpcTarget());
    props.put("inferscope.triton.endpoints.vision.metrics.url", triton.httpUri() + "/metrics");
    props.put("inferscope.vllm.endpoints.chat.base-url", vllm.baseUri().toString());
    props.put("inferscope.gpu.url", triton.httpUri() + "/metrics");
    env.getPropertySources().addFirst(new MapPropertySource("inferscopeSimulators", props));
    // registered as disposable singletons: closed when the context closes, and also when its refresh fails
    DefaultListableBeanFactory beans = (DefaultListableBeanFactory) context.getBeanFactory();
    beans.registerSingleton("tritonSimulator", triton);
    beans.registerDisposableBean("tritonSimulator", triton::close);
    beans.registerSingleton("vllmSimulator", vllm);
    beans.registerDisposableBean("vllmSimulator", vllm::close);
  }
}
