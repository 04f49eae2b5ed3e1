package dev.inferscope.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.prometheus.PrometheusTextParser;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ScrapedGpuStateSourceTest {
  // Written from dcgm-exporter's documented output format (default counters, Kubernetes labels).
  static final String DCGM = """
      # HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
      # TYPE DCGM_FI_DEV_GPU_UTIL gauge
      DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1",container="triton",namespace="ml",pod="triton-0"} 93
      DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-66666666-2222-3333-4444-555555555555",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 12
      # HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
      # TYPE DCGM_FI_DEV_FB_USED gauge
      DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 76000
      DCGM_FI_DEV_FB_USED{gpu="1",UUID="GPU-66666666-2222-3333-4444-555555555555",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 1000
      # HELP DCGM_FI_DEV_FB_FREE Framebuffer memory free (in MiB).
      # TYPE DCGM_FI_DEV_FB_FREE gauge
      DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 5920
      DCGM_FI_DEV_FB_FREE{gpu="1",UUID="GPU-66666666-2222-3333-4444-555555555555",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 80920
      # HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).
      # TYPE DCGM_FI_DEV_GPU_TEMP gauge
      DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 71
      DCGM_FI_DEV_GPU_TEMP{gpu="1",UUID="GPU-66666666-2222-3333-4444-555555555555",device="nvidia1",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 9223372036854775792
      # HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
      # TYPE DCGM_FI_DEV_POWER_USAGE gauge
      DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 350.25
      # HELP DCGM_FI_DEV_SM_CLOCK SM clock frequency (in MHz).
      # TYPE DCGM_FI_DEV_SM_CLOCK gauge
      DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1",container="triton",namespace="ml",pod="triton-0"} 1410
      # HELP DCGM_FI_PROF_PIPE_TENSOR_ACTIVE Ratio of cycles the tensor (HMMA) pipe is active.
      # TYPE DCGM_FI_PROF_PIPE_TENSOR_ACTIVE gauge
      DCGM_FI_PROF_PIPE_TENSOR_ACTIVE{gpu="0",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 140737488355328
      # HELP DCGM_FI_PROF_GR_ENGINE_ACTIVE Ratio of time the graphics engine is active.
      # TYPE DCGM_FI_PROF_GR_ENGINE_ACTIVE gauge
      DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu="0",UUID="GPU-11111111-2222-3333-4444-555555555555",device="nvidia0",modelName="NVIDIA A100-SXM4-80GB",Hostname="node-1"} 0.91
      """;

  // Written from Triton's documented GPU metrics.
  static final String TRITON = """
      # HELP nv_gpu_utilization GPU utilization rate [0.0 - 1.0)
      # TYPE nv_gpu_utilization gauge
      nv_gpu_utilization{gpu_uuid="GPU-11111111-2222-3333-4444-555555555555"} 0.93
      # HELP nv_gpu_memory_total_bytes GPU total memory, in bytes
      # TYPE nv_gpu_memory_total_bytes gauge
      nv_gpu_memory_total_bytes{gpu_uuid="GPU-11111111-2222-3333-4444-555555555555"} 85899345920
      # HELP nv_gpu_memory_used_bytes GPU used memory, in bytes
      # TYPE nv_gpu_memory_used_bytes gauge
      nv_gpu_memory_used_bytes{gpu_uuid="GPU-11111111-2222-3333-4444-555555555555"} 79691776000
      # HELP nv_gpu_power_usage GPU power usage in watts
      # TYPE nv_gpu_power_usage gauge
      nv_gpu_power_usage{gpu_uuid="GPU-11111111-2222-3333-4444-555555555555"} 350.25
      # HELP nv_gpu_power_limit GPU power management limit in watts
      # TYPE nv_gpu_power_limit gauge
      nv_gpu_power_limit{gpu_uuid="GPU-11111111-2222-3333-4444-555555555555"} 400
      """;

  @Test
  void dcgmAndTritonParseIntoTheSameSnapshotModel() {
    List<GpuSnapshot> dcgm = ScrapedGpuStateSource.fromDcgm(PrometheusTextParser.parse(DCGM), 5L);
    List<GpuSnapshot> triton = ScrapedGpuStateSource.fromTriton(PrometheusTextParser.parse(TRITON), 5L);
    GpuSnapshot d = dcgm.get(0);
    GpuSnapshot t = triton.get(0);
    assertThat(d.id()).isEqualTo(t.id()).isEqualTo("GPU-11111111-2222-3333-4444-555555555555");
    assertThat(d.utilization()).isEqualTo(t.utilization()).isEqualTo(0.93);
    assertThat(d.memoryUsedBytes()).isEqualTo(t.memoryUsedBytes()).isEqualTo(76000L << 20);
    assertThat(d.memoryTotalBytes()).isEqualTo(t.memoryTotalBytes()).isEqualTo(81920L << 20);
    assertThat(d.powerWatts()).isEqualTo(t.powerWatts()).isEqualTo(350.25);
    assertThat(d.temperatureCelsius()).isEqualTo(71);
    assertThat(d.name()).isEqualTo("NVIDIA A100-SXM4-80GB");
    assertThat(d.index()).isZero();
    assertThat(d.source()).isEqualTo("dcgm-exporter");
    assertThat(t.source()).isEqualTo("triton");
    // the blank temperature sentinel of GPU 1 is dropped, not reported
    assertThat(dcgm.get(1).temperatureCelsius()).isNaN();
    assertThat(dcgm.get(1).utilization()).isEqualTo(0.12);
    List<ScrapedGpuStateSource.DcgmDevice> devices =
        ScrapedGpuStateSource.dcgmDevices(PrometheusTextParser.parse(DCGM));
    ScrapedGpuStateSource.DcgmDevice d0 = devices.get(0);
    assertThat(d0.hostname()).isEqualTo("node-1");
    assertThat(d0.pod()).isEqualTo("triton-0");
    assertThat(d0.namespace()).isEqualTo("ml");
    assertThat(d0.container()).isEqualTo("triton");
    assertThat(d0.smClockMhz()).isEqualTo(1410);
    // present profiling field kept; the FP64 blank of the tensor pipe dropped
    assertThat(d0.profiling()).containsEntry("DCGM_FI_PROF_GR_ENGINE_ACTIVE", 0.91)
        .doesNotContainKey("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE");
  }

  @Test
  void scrapesInTheBackgroundAndMarksStaleData() throws IOException {
    AtomicInteger status = new AtomicInteger(200);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/metrics", ex -> {
      byte[] b = DCGM.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status.get(), b.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    });
    server.start();
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics");
    try (ScrapedGpuStateSource s = ScrapedGpuStateSource.dcgmExporter(uri, Duration.ofHours(1))) {
      List<GpuSnapshot> first = s.refresh();
      assertThat(first).hasSize(2);
      assertThat(first.get(0).stale()).isFalse();
      assertThat(s.available()).isTrue();
      status.set(500);
      try {
        s.refresh();
      } catch (RuntimeException expected) {
        // the failed scrape is counted; the last good data stays, marked stale
      }
      assertThat(s.latest()).hasSize(2).allMatch(GpuSnapshot::stale);
    } finally {
      server.stop(0);
    }
  }
}
