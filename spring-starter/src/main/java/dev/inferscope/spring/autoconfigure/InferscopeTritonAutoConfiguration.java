package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferscopeProperties;
import dev.inferscope.spring.TritonClients;
import dev.inferscope.triton.TritonClient;
import java.util.ArrayList;
import java.util.List;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;

/**
 * One {@link TritonClient} bean per {@code inferscope.triton.endpoints.<name>}, named after the endpoint
 * (gRPC when {@code grpc-target} is set, else HTTP; with both, the HTTP client is {@code <name>-http}),
 * plus a {@link TritonClients} holder; only when {@code inferscope-triton-client} is on the class path.
 * Clients are closed on shutdown. A bean the application defines under an endpoint's name replaces the
 * starter's client of that name.
 *
 * <p>The clients build their own gRPC channels; Spring gRPC's {@code GrpcChannelFactory} and its global
 * client interceptors (observation included) are never involved, so each call has one span.
 */
@AutoConfiguration(after = InferscopeAutoConfiguration.class,
    afterName = "org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration")
@ConditionalOnClass(TritonClient.class)
@ConditionalOnBooleanProperty(name = "inferscope.enabled", matchIfMissing = true)
public final class InferscopeTritonAutoConfiguration {

  /** Registers one client bean per endpoint (and transport). */
  @Bean
  static EndpointClientRegistrar<InferscopeProperties.TritonEndpoint, TritonClient, TritonClientFactory> inferscopeTritonClientRegistrar() {
    return new EndpointClientRegistrar<>("triton", InferscopeProperties.TritonEndpoint.class, TritonClient.class,
        TritonClientFactory.class, TritonClientFactory::beanNames, factory -> factory::create);
  }

  /** Builds the clients and runs the queue-depth scrapers. */
  @Bean
  TritonClientFactory inferscopeTritonClientFactory(InferscopeProperties properties, InferenceTelemetry telemetry,
      InferenceEndpoints endpoints, ObjectProvider<TritonClientBuilderCustomizer> customizers,
      ObjectProvider<SslBundles> sslBundles, ReadinessProbes probes, BeanFactory beanFactory) {
    return new TritonClientFactory(properties, telemetry, endpoints, customizers.orderedStream().toList(),
        sslBundles.getIfAvailable(), probes, new GpuSources(beanFactory));
  }

  /** The clients by bean name. */
  @Bean
  @ConditionalOnMissingBean
  TritonClients tritonClients(BeanFactory beanFactory, InferscopeProperties properties) {
    List<String> names = new ArrayList<>();
    properties.triton().endpoints().forEach((name, e) -> names.addAll(TritonClientFactory.beanNames(name, e).keySet()));
    names.sort(null);
    return new TritonClients(beanFactory, names);
  }
}
