package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.gpu.GpuMetrics;
import dev.inferscope.gpu.NvmlGpuStateSource;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class InferscopeGpuAutoConfigurationTest {
  private static TritonSimulator sim;

  @BeforeAll
  static void start() {
    sim = TritonSimulator.builder()
        .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).build())
        .start();
    sim.gpuUtilization(0.75);
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(InferscopeGpuAutoConfiguration.class, InferscopeAutoConfiguration.class,
          MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
          SimpleMetricsExportAutoConfiguration.class));

  @Test
  void noGpuSourceByDefault() {
    runner.run(ctx -> {
      assertThat(ctx).hasNotFailed().doesNotHaveBean(GpuStateSource.class).doesNotHaveBean(GpuMetrics.class);
      assertThat(ctx.getBean(InferenceTelemetry.class).gpuStateSource().name()).isEqualTo("none");
    });
  }

  @Test
  void tritonMetricsSourceFeedsTheTelemetryAndHwGpuGauges() {
    runner.withPropertyValues("inferscope.gpu.source=triton", "inferscope.gpu.url=" + sim.httpUri() + "/metrics",
            "inferscope.gpu.period=1h")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          GpuStateSource source = ctx.getBean(GpuStateSource.class);
          assertThat(ctx.getBean(InferenceTelemetry.class).gpuStateSource()).isSameAs(source);
          assertThat(source.name()).isEqualTo("triton");
          assertThat(source.available()).isTrue();
          List<GpuSnapshot> gpus = source.latest();
          assertThat(gpus).isNotEmpty();
          assertThat(gpus.get(0).utilization()).isEqualTo(0.75, org.assertj.core.api.Assertions.within(1e-9));
          MeterRegistry registry = ctx.getBean(MeterRegistry.class);
          assertThat(registry.find("hw.gpu.utilization").tag("source", "triton").gauge()).isNotNull();
          assertThat(registry.find("hw.gpu.utilization").gauge().value()).isEqualTo(0.75,
              org.assertj.core.api.Assertions.within(1e-9));
          assertThat(scraperThreads()).isNotEmpty();
        });
    for (Thread t : scraperThreads()) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      assertThat(t.isAlive()).as("%s stopped after the context closed", t.getName()).isFalse();
    }
  }

  @Test
  void uuidsSelectGpus() {
    runner.withPropertyValues("inferscope.gpu.source=triton", "inferscope.gpu.url=" + sim.httpUri() + "/metrics",
            "inferscope.gpu.period=1h", "inferscope.gpu.uuids=GPU-not-there")
        .run(ctx -> {
          GpuStateSource source = ctx.getBean(GpuStateSource.class);
          assertThat(source.latest()).isEmpty();
          assertThat(source.available()).isTrue();
        });
  }

  @Test
  void nvmlWithoutADriverIsUnavailableWithAReasonAndNothingFails() {
    runner.withPropertyValues("inferscope.gpu.source=nvml",
            "inferscope.gpu.period=1h")
        .withSystemProperties("inferscope.nvml.library=/nonexistent/libnvidia-ml.so.1")
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          GpuStateSource source = ctx.getBean(GpuStateSource.class);
          assertThat(source).isInstanceOf(NvmlGpuStateSource.class);
          assertThat(source.available()).isFalse();
          assertThat(source.unavailableReason()).isNotBlank();
          assertThat(source.latest()).isEmpty();
        });
  }

  @Test
  void scrapedSourcesNeedAUrl() {
    runner.withPropertyValues("inferscope.gpu.source=dcgm-exporter").run(ctx ->
        assertThat(ctx).getFailure().rootCause().hasMessageContaining("inferscope.gpu.url is required")
            .hasMessageContaining("dcgm-exporter"));
  }

  @Test
  void backsOffForTheApplicationsSourceAndWithoutTheReader() {
    GpuStateSource own = GpuStateSource.none();
    runner.withPropertyValues("inferscope.gpu.source=nvml").withBean(GpuStateSource.class, () -> own).run(ctx -> {
      assertThat(ctx.getBean(GpuStateSource.class)).isSameAs(own);
      assertThat(ctx.getBean(InferenceTelemetry.class).gpuStateSource()).isSameAs(own);
    });
    runner.withPropertyValues("inferscope.gpu.source=nvml")
        .withClassLoader(new FilteredClassLoader(NvmlGpuStateSource.class))
        .run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(GpuStateSource.class));
  }

  private static List<Thread> scraperThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("inferscope-scraper-127.0.0.1")).toList();
  }
}
