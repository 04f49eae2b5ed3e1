package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.GpuStateSource;
import dev.inferscope.gpu.GpuMetrics;
import dev.inferscope.gpu.NvmlGpuStateSource;
import dev.inferscope.gpu.ScrapedGpuStateSource;
import dev.inferscope.spring.InferscopeProperties;
import java.net.URI;
import java.util.HashSet;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * GPU state from {@code inferscope.gpu.*}, only with {@code inferscope-dcgm-reader} on the class path and
 * a source other than {@code none}: NVML on this host, dcgm-exporter's or Triton's {@code /metrics}. The
 * source is attached to every call's telemetry and published as {@code hw.gpu.*} gauges
 * ({@link GpuMetrics}, bound by Spring Boot's metrics support). Where NVML cannot be loaded the source
 * reports itself unavailable with the reason and nothing else fails.
 */
@AutoConfiguration(before = InferscopeAutoConfiguration.class)
@ConditionalOnClass({NvmlGpuStateSource.class, ScrapedGpuStateSource.class})
@ConditionalOnBooleanProperty(name = "inferscope.enabled", matchIfMissing = true)
@EnableConfigurationProperties(InferscopeProperties.class)
public final class InferscopeGpuAutoConfiguration {
  private static final Log LOG = LogFactory.getLog(InferscopeGpuAutoConfiguration.class);

  /** The GPU state source; closed on shutdown. */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(OnGpuSourceCondition.class)
  GpuStateSource inferscopeGpuStateSource(InferscopeProperties properties) {
    InferscopeProperties.Gpu gpu = properties.gpu();
    GpuStateSource source;
    switch (gpu.source()) {
      case NVML -> {
        return NvmlGpuStateSource.builder().period(gpu.period()).devices(new HashSet<>(gpu.uuids())).build();
      }
      case DCGM_EXPORTER -> source = ScrapedGpuStateSource.dcgmExporter(url(gpu), gpu.period());
      case TRITON -> source = ScrapedGpuStateSource.tritonMetrics(url(gpu), gpu.period());
      default -> throw new IllegalStateException("inferscope.gpu.source " + gpu.source() + " has no source");
    }
    try {
      // a first reading now, so that the hw.gpu.* gauges know the GPUs when they are bound
      ((ScrapedGpuStateSource) source).refresh();
    } catch (RuntimeException e) {
      LOG.info("inferscope: first GPU state scrape failed (" + e.getClass().getSimpleName()
          + "); it is retried in the background");
    }
    return gpu.uuids().isEmpty() ? source : new SelectedGpus(source, new HashSet<>(gpu.uuids()));
  }

  private static URI url(InferscopeProperties.Gpu gpu) {
    URI url = gpu.url();
    if (url == null) {
      throw new IllegalStateException("inferscope.gpu.url is required for inferscope.gpu.source=" + gpu.source()
          .name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    }
    return url;
  }

  /** The {@code hw.gpu.*} gauges of the GPUs the source knows at startup. */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnBean(GpuStateSource.class)
  GpuMetrics inferscopeGpuMetrics(GpuStateSource source) {
    return new GpuMetrics(source);
  }
}
