package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferscopeProperties;
import dev.inferscope.spring.VllmClients;
import dev.inferscope.vllm.VllmClient;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;

/**
 * One {@link VllmClient} bean per {@code inferscope.vllm.endpoints.<name>}, named after the endpoint,
 * plus a {@link VllmClients} holder; only when {@code inferscope-vllm-client} is on the class path.
 * Clients are closed on shutdown. A bean the application defines under an endpoint's name replaces the
 * starter's client of that name.
 */
@AutoConfiguration(after = InferscopeAutoConfiguration.class,
    afterName = "org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration")
@ConditionalOnClass(VllmClient.class)
@ConditionalOnBooleanProperty(name = "inferscope.enabled", matchIfMissing = true)
public final class InferscopeVllmAutoConfiguration {

  /** Registers one client bean per endpoint. */
  @Bean
  static EndpointClientRegistrar<InferscopeProperties.VllmEndpoint, VllmClient, VllmClientFactory> inferscopeVllmClientRegistrar() {
    return new EndpointClientRegistrar<>("vllm", InferscopeProperties.VllmEndpoint.class, VllmClient.class,
        VllmClientFactory.class, (name, e) -> Map.of(name, ""), factory -> (name, variant) -> factory.create(name));
  }

  /** Builds the clients. */
  @Bean
  VllmClientFactory inferscopeVllmClientFactory(InferscopeProperties properties, InferenceTelemetry telemetry,
      InferenceEndpoints endpoints, ObjectProvider<VllmClientBuilderCustomizer> customizers,
      ObjectProvider<SslBundles> sslBundles, ReadinessProbes probes, BeanFactory beanFactory) {
    return new VllmClientFactory(properties, telemetry, endpoints, customizers.orderedStream().toList(),
        sslBundles.getIfAvailable(), probes, new GpuSources(beanFactory));
  }

  /** The clients by endpoint name. */
  @Bean
  @ConditionalOnMissingBean
  VllmClients vllmClients(BeanFactory beanFactory, InferscopeProperties properties) {
    return new VllmClients(beanFactory, List.copyOf(properties.vllm().endpoints().keySet()));
  }
}
