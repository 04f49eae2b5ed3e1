package dev.inferscope.spring.autoconfigure;

import dev.inferscope.spring.ClientPerceivedHealth;
import dev.inferscope.spring.InferenceEndpoints;
import dev.inferscope.spring.InferscopeProperties;
import dev.inferscope.spring.health.InferenceHealthIndicator;
import dev.inferscope.spring.health.InferenceServersHealthContributor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Health contributors, only when Spring Boot's health module ({@code spring-boot-health}) is present:
 * {@code inference} (client-perceived: {@code UP} or {@code DEGRADED}; switch:
 * {@code management.health.inference.enabled}) and {@code inferenceServers} (each endpoint's server and
 * model readiness; switch: {@code management.health.inference-servers.enabled}).
 */
@AutoConfiguration(after = InferscopeAutoConfiguration.class, beforeName = {
    "org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration",
    "org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration"})
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(InferenceEndpoints.class)
public final class InferscopeHealthAutoConfiguration {

  /** The client-perceived {@code inference} contributor. */
  @Bean
  @ConditionalOnMissingBean(name = "inferenceHealthIndicator", value = InferenceHealthIndicator.class)
  @ConditionalOnEnabledHealthIndicator("inference")
  @ConditionalOnBean(ClientPerceivedHealth.class)
  InferenceHealthIndicator inferenceHealthIndicator(ClientPerceivedHealth health) {
    return new InferenceHealthIndicator(health);
  }

  /** The servers' own readiness, one child per endpoint. */
  @Bean
  @ConditionalOnMissingBean(name = "inferenceServersHealthContributor", value = InferenceServersHealthContributor.class)
  @ConditionalOnEnabledHealthIndicator("inference-servers")
  InferenceServersHealthContributor inferenceServersHealthContributor(InferenceEndpoints endpoints,
      InferscopeProperties properties) {
    return new InferenceServersHealthContributor(endpoints, properties.health().readinessTimeout());
  }

  /**
   * The health endpoint's HTTP codes: Spring Boot's {@code management.endpoint.health.status.http-mapping},
   * except that mapping one status (say {@code degraded=200}, for the {@code inference} contributor's
   * custom status) no longer drops Spring Boot's defaults: {@code DOWN} and {@code OUT_OF_SERVICE} stay
   * 503 unless they are mapped explicitly, so Kubernetes still takes a failing pod out of rotation.
   */
  @Bean
  @ConditionalOnMissingBean(org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper.class)
  org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper inferscopeHealthHttpCodeStatusMapper(
      org.springframework.core.env.Environment environment) {
    java.util.Map<String, Integer> configured = org.springframework.boot.context.properties.bind.Binder
        .get(environment)
        .bind("management.endpoint.health.status.http-mapping",
            org.springframework.boot.context.properties.bind.Bindable.mapOf(String.class, Integer.class))
        .orElse(java.util.Map.of());
    return new org.springframework.boot.health.actuate.endpoint.SimpleHttpCodeStatusMapper(
        HealthCodes.withDownDefaults(configured));
  }
}
