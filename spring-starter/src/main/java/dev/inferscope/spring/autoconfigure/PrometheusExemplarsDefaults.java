package dev.inferscope.spring.autoconfigure;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Exemplars only where every Prometheus since 2.26 accepts them: on counters' {@code _total} and
 * histograms' {@code _bucket} samples. Micrometer's Prometheus registry turns on prometheus-metrics'
 * {@code io.prometheus.exporter.exemplarsOnAllMetricTypes}, which also puts exemplars on {@code _count}
 * samples; Prometheus before 2.43 (Debian bookworm ships 2.42) rejects that scrape as a whole
 * ({@code metric name ..._count does not support exemplars}) and marks the application down. This adds
 * {@code management.prometheus.metrics.export.properties[io.prometheus.exporter.exemplarsOnAllMetricTypes]=false}
 * as the lowest-precedence default; set it to {@code true} yourself for Prometheus 2.43+.
 */
public final class PrometheusExemplarsDefaults implements EnvironmentPostProcessor {
  static final String PROPERTY =
      "management.prometheus.metrics.export.properties[io.prometheus.exporter.exemplarsOnAllMetricTypes]";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    if (!environment.getPropertySources().contains("inferscopeDefaults")) {
      environment.getPropertySources().addLast(new MapPropertySource("inferscopeDefaults", Map.of(PROPERTY, "false")));
    }
  }
}
