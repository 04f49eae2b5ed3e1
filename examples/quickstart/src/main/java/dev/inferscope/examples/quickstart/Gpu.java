package dev.inferscope.examples.quickstart;

import dev.inferscope.core.GpuStateSource;
import dev.inferscope.gpu.NvmlGpuStateSource;
import dev.inferscope.gpu.ScrapedGpuStateSource;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The GPU state source: {@code INFERSCOPE_GPU} ({@code nvml}, {@code dcgm-exporter=<url>},
 * {@code triton=<url>}), or, on the embedded simulator, Triton's {@code /metrics} with its fake GPU.
 */
final class Gpu {
  private Gpu() {}

  static GpuStateSource source(Config config, Quickstart.Servers servers, List<AutoCloseable> resources) {
    String spec = config.gpu();
    GpuStateSource source;
    if (spec == null) {
      if (servers.tritonMetrics() == null) {
        return GpuStateSource.none();
      }
      source = scraped(ScrapedGpuStateSource.tritonMetrics(servers.tritonMetrics(), Duration.ofSeconds(1)));
    } else if (spec.equals("nvml")) {
      source = NvmlGpuStateSource.builder().period(Duration.ofSeconds(1)).build();
    } else if (spec.startsWith("dcgm-exporter=")) {
      source = scraped(ScrapedGpuStateSource.dcgmExporter(url(spec), Duration.ofSeconds(1)));
    } else if (spec.startsWith("triton=")) {
      source = scraped(ScrapedGpuStateSource.tritonMetrics(url(spec), Duration.ofSeconds(1)));
    } else {
      throw new IllegalArgumentException("INFERSCOPE_GPU must be nvml, dcgm-exporter=<url> or triton=<url>");
    }
    if (source instanceof AutoCloseable c) {
      resources.add(c);
    }
    return source;
  }

  private static ScrapedGpuStateSource scraped(ScrapedGpuStateSource s) {
    try {
      s.refresh();
    } catch (RuntimeException e) {
      // retried in the background; the table says when there is no reading
    }
    return s;
  }

  private static URI url(String spec) {
    return URI.create(spec.substring(spec.indexOf('=') + 1));
  }
}
