package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.spring.ClientPerceivedHealth;
import dev.inferscope.spring.InferenceActuatorEndpoint;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferenceStats;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code inference} actuator endpoint, only with Spring Boot's actuator on the class path and the
 * endpoint available ({@code management.endpoints.web.exposure.include=inference} to expose it over
 * HTTP).
 */
@AutoConfiguration(after = InferscopeAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean({InferenceStats.class, InferenceEndpoints.class, InferenceTelemetry.class})
public final class InferscopeEndpointAutoConfiguration {

  /** The endpoint. */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnAvailableEndpoint
  InferenceActuatorEndpoint inferenceActuatorEndpoint(InferenceStats stats, InferenceEndpoints endpoints,
      InferenceTelemetry telemetry, ObjectProvider<MeterRegistry> meterRegistry,
      ObjectProvider<ClientPerceivedHealth> health) {
    return new InferenceActuatorEndpoint(stats, endpoints, telemetry.gpuStateSource(), telemetry.clock(),
        meterRegistry.getIfUnique(() -> null), health.getIfUnique(() -> null));
  }
}
