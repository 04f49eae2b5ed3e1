package dev.inferscope.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.prometheus.PrometheusText;
import dev.inferscope.core.prometheus.PrometheusTextParser;
import dev.inferscope.core.prometheus.Sample;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the mappings from a parsed exposition (the input bytes as UTF-8, through the Prometheus text
 * parser) to GPU state: {@link ScrapedGpuStateSource#fromDcgm}, {@link ScrapedGpuStateSource#fromTriton}
 * and {@link ScrapedGpuStateSource#dcgmDevices}. Invariants: none of them throws; there is exactly one
 * snapshot or device per GPU id found in the samples they read (UUID, else gpu label; gpu_uuid for Triton),
 * in order; memory readings are -1 (unknown) or non-negative, and total is never below used; dcgm-exporter's
 * blank sentinels never show as readings; every snapshot carries the scrape time and its source.
 *
 * <p>Seeds: {@code src/test/resources/dev/inferscope/gpu/ScrapedGpuStateSourceFuzzTestInputs/map/}.
 */
class ScrapedGpuStateSourceFuzzTest {
  private static final List<String> DCGM_FIELDS = List.of("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED",
      "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE");
  private static final List<String> TRITON_FIELDS = List.of("nv_gpu_utilization", "nv_gpu_memory_used_bytes",
      "nv_gpu_memory_total_bytes", "nv_gpu_power_usage");
  private static final long AT = 123_456_789L;

  @FuzzTest(maxDuration = "5m")
  void map(byte[] input) {
    PrometheusText text = PrometheusTextParser.parse(new String(input, StandardCharsets.UTF_8));

    List<GpuSnapshot> dcgm = ScrapedGpuStateSource.fromDcgm(text, AT);
    Set<String> dcgmIds = new LinkedHashSet<>();
    for (String f : DCGM_FIELDS) {
      for (Sample s : text.samples(f)) {
        String id = s.label("UUID") != null ? s.label("UUID") : s.label("gpu");
        if (id != null) {
          dcgmIds.add(id);
        }
      }
    }
    assertThat(dcgm).extracting(GpuSnapshot::id).containsExactlyElementsOf(dcgmIds);
    for (GpuSnapshot g : dcgm) {
      checkSnapshot(g, "dcgm-exporter");
      assertThat(g.index()).isGreaterThanOrEqualTo(-1);
      for (double v : new double[] {g.powerWatts(), g.temperatureCelsius()}) {
        assertThat(ScrapedGpuStateSource.blank(v) && !Double.isNaN(v)).as("a blank sentinel as a reading: %s", g)
            .isFalse();
      }
    }

    List<GpuSnapshot> triton = ScrapedGpuStateSource.fromTriton(text, AT);
    Set<String> tritonIds = new LinkedHashSet<>();
    for (String f : TRITON_FIELDS) {
      for (Sample s : text.samples(f)) {
        if (s.label("gpu_uuid") != null) {
          tritonIds.add(s.label("gpu_uuid"));
        }
      }
    }
    assertThat(triton).extracting(GpuSnapshot::id).containsExactlyElementsOf(tritonIds);
    for (int i = 0; i < triton.size(); i++) {
      checkSnapshot(triton.get(i), "triton");
      assertThat(triton.get(i).index()).isEqualTo(i);
    }

    List<ScrapedGpuStateSource.DcgmDevice> devices = ScrapedGpuStateSource.dcgmDevices(text);
    Set<String> deviceIds = text.families().entrySet().stream().filter(e -> e.getKey().startsWith("DCGM_FI_"))
        .flatMap(e -> e.getValue().samples().stream())
        .map(s -> s.label("UUID") != null ? s.label("UUID") : s.label("gpu"))
        .filter(id -> id != null)
        .collect(Collectors.toCollection(LinkedHashSet::new));
    assertThat(devices).extracting(ScrapedGpuStateSource.DcgmDevice::uuid).containsExactlyElementsOf(deviceIds);
    for (ScrapedGpuStateSource.DcgmDevice d : devices) {
      assertThat(Double.isNaN(d.smClockMhz()) || !ScrapedGpuStateSource.blank(d.smClockMhz())).isTrue();
      assertThat(d.profiling().keySet()).isSubsetOf(ScrapedGpuStateSource.PROFILING_FIELDS);
      assertThat(d.profiling().values()).noneMatch(ScrapedGpuStateSource::blank);
    }
  }

  private static void checkSnapshot(GpuSnapshot g, String source) {
    assertThat(g.source()).isEqualTo(source);
    assertThat(g.sampledAtNanos()).isEqualTo(AT);
    assertThat(g.stale()).isFalse();
    assertThat(g.memoryUsedBytes()).as("memory used of %s", g).isGreaterThanOrEqualTo(-1);
    assertThat(g.memoryTotalBytes()).as("memory total of %s", g).isGreaterThanOrEqualTo(-1);
    if (g.memoryUsedBytes() >= 0 && g.memoryTotalBytes() >= 0 && "dcgm-exporter".equals(source)) {
      assertThat(g.memoryTotalBytes()).as("total below used in %s", g).isGreaterThanOrEqualTo(g.memoryUsedBytes());
    }
    double ratio = g.memoryUsageRatio();
    assertThat(Double.isNaN(ratio) || ratio >= 0).isTrue();
    assertThat(g.asStale().stale()).isTrue();
  }

  /**
   * Findings of this fuzzer and its seeds: a dcgm-exporter framebuffer reading above 2^43 MiB (below the
   * blank sentinels) overflowed {@code << 20} into a negative byte count (seed
   * {@code finding-fb-used-overflows-bytes}); a negative {@code gpu} label became a negative index (seed
   * {@code finding-negative-gpu-index}); a negative Triton memory gauge became a negative byte count instead
   * of -1 (seed {@code triton-without-uuid-and-infinities}).
   */
  @Test
  void outOfRangeReadingsAreUnknownNotNegative() {
    PrometheusText t = PrometheusTextParser.parse("""
        DCGM_FI_DEV_FB_USED{gpu="-3",UUID="GPU-a"} 9223372018427387896
        DCGM_FI_DEV_FB_FREE{gpu="-3",UUID="GPU-a"} 100
        DCGM_FI_DEV_FB_USED{gpu="1",UUID="GPU-b"} 8796093022207
        DCGM_FI_DEV_FB_FREE{gpu="1",UUID="GPU-b"} 1
        nv_gpu_memory_used_bytes{gpu_uuid="GPU-c"} -5
        nv_gpu_memory_total_bytes{gpu_uuid="GPU-c"} -Inf
        """);
    List<GpuSnapshot> dcgm = ScrapedGpuStateSource.fromDcgm(t, AT);
    assertThat(dcgm.get(0).memoryUsedBytes()).isEqualTo(-1);
    assertThat(dcgm.get(0).memoryTotalBytes()).isEqualTo(-1);
    assertThat(dcgm.get(0).index()).isEqualTo(-1);
    assertThat(dcgm.get(1).memoryUsedBytes()).isEqualTo(8796093022207L << 20); // the largest that fits
    assertThat(dcgm.get(1).memoryTotalBytes()).isEqualTo(-1); // used + free no longer fits
    GpuSnapshot triton = ScrapedGpuStateSource.fromTriton(t, AT).get(0);
    assertThat(triton.memoryUsedBytes()).isEqualTo(-1);
    assertThat(triton.memoryTotalBytes()).isEqualTo(-1);
  }
}
