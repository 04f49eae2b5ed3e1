package dev.inferscope.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.GpuSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Runs the real JNI shim against fake libnvidia-ml builds (target/fake-nvml, built from src/test/c). */
class NvmlGpuStateSourceTest {
  private static final Path CONFIG = Path.of("target/fake-nvml.conf");
  private static final String FULL = Path.of("target/fake-nvml/full/libnvidia-ml.so.1").toAbsolutePath().toString();
  private static final String V1 = Path.of("target/fake-nvml/v1/libnvidia-ml.so.1").toAbsolutePath().toString();

  private NvmlGpuStateSource source;

  @AfterEach
  void close() throws IOException {
    if (source != null) {
      source.close();
    }
    Files.deleteIfExists(CONFIG);
  }

  private static void config(String... lines) throws IOException {
    Files.writeString(CONFIG, String.join("\n", lines) + "\n");
  }

  private NvmlGpuStateSource open(String lib) {
    source = NvmlGpuStateSource.builder().libraryPath(lib).period(Duration.ofHours(1)).build();
    return source;
  }

  @Test
  void readsEveryFieldTheFakeReports() throws IOException {
    config("count=2",
        "uuid0=GPU-aaaaaaaa-0000-0000-0000-000000000000", "name0=NVIDIA H100 80GB HBM3", "pci0=00000000:18:00.0",
        "util_gpu0=87", "util_mem0=41", "mem_total0=85899345920", "mem_used0=60000000000", "mem_reserved0=500000000",
        "mem_free0=25399345920", "temp0=66", "power0=312500", "power_limit0=700000", "sm_clock0=1980",
        "mem_clock0=2619", "reasons0=4", "mig0=0", "procs0=4242:1073741824,4343:2147483648",
        "uuid1=GPU-bbbbbbbb-0000-0000-0000-000000000000", "util_gpu1=5");
    NvmlGpuStateSource s = open(FULL);
    assertThat(s.available()).as(s.unavailableReason()).isTrue();
    NvmlDeviceState d = s.devices().get(0);
    assertThat(d.uuid()).isEqualTo("GPU-aaaaaaaa-0000-0000-0000-000000000000");
    assertThat(d.name()).isEqualTo("NVIDIA H100 80GB HBM3");
    assertThat(d.pciBusId()).isEqualTo("00000000:18:00.0");
    assertThat(d.gpuUtilization().value()).isEqualTo(87);
    assertThat(d.memoryUtilization().value()).isEqualTo(41);
    assertThat(d.memoryTotal().value()).isEqualTo(85899345920L);
    assertThat(d.memoryUsed().value()).as("_v2: used excludes reserved").isEqualTo(60000000000L);
    assertThat(d.memoryFree().value()).isEqualTo(25399345920L);
    assertThat(d.temperature().value()).isEqualTo(66);
    assertThat(d.powerUsage().value()).isEqualTo(312500);
    assertThat(d.powerLimit().value()).isEqualTo(700000);
    assertThat(d.smClock().value()).isEqualTo(1980);
    assertThat(d.memoryClock().value()).isEqualTo(2619);
    assertThat(d.clocksEventReasons().value()).isEqualTo(4);
    assertThat(d.migMode().ok()).isTrue();
    assertThat(d.processes()).containsExactly(new NvmlDeviceState.GpuProcess(4242, 1073741824L),
        new NvmlDeviceState.GpuProcess(4343, 2147483648L));
    GpuSnapshot snap = s.latest("GPU-aaaaaaaa-0000-0000-0000-000000000000");
    assertThat(snap.utilization()).isEqualTo(0.87);
    assertThat(snap.powerWatts()).isEqualTo(312.5);
    assertThat(snap.source()).isEqualTo("nvml");
    assertThat(s.latest()).hasSize(2);

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new GpuMetrics(s).bindTo(registry);
    assertThat(registry.get("hw.gpu.utilization").tag("hw.id", "GPU-aaaaaaaa-0000-0000-0000-000000000000")
        .gauge().value()).isEqualTo(0.87);
    assertThat(registry.get("hw.gpu.memory.limit").tag("hw.name", "NVIDIA H100 80GB HBM3").gauge().value())
        .isEqualTo(85899345920.0);
    assertThat(registry.get("hw.gpu.temperature").tag("source", "nvml").tag("hw.id",
        "GPU-aaaaaaaa-0000-0000-0000-000000000000").gauge().value()).isEqualTo(66.0);
  }

  @Test
  void typedResultsForNotSupportedNoPermissionAndLostGpus() throws IOException {
    config("count=2", "uuid0=GPU-a", "uuid1=GPU-b", "util_gpu0=10", "util_gpu1=20", "rc_temp0=3", "rc_power0=4");
    NvmlGpuStateSource s = open(FULL);
    NvmlDeviceState d = s.devices().get(0);
    assertThat(d.temperature().status()).isEqualTo(NvmlStatus.NOT_SUPPORTED);
    assertThat(d.powerUsage().status()).isEqualTo(NvmlStatus.NO_PERMISSION);
    assertThat(s.latest("GPU-a").temperatureCelsius()).isNaN();
    assertThat(s.latest("GPU-a").powerWatts()).isNaN();

    // GPU 1 falls off the bus mid-run: it is marked lost, GPU 0 keeps being sampled
    config("count=2", "uuid0=GPU-a", "uuid1=GPU-b", "util_gpu0=30", "rc_handle1=15");
    s.sampleOnce();
    assertThat(s.devices().get(1).lost()).isTrue();
    assertThat(s.latest()).extracting(GpuSnapshot::id).containsExactly("GPU-a");
    assertThat(s.latest("GPU-a").utilization()).isEqualTo(0.30);
    config("count=2", "uuid0=GPU-a", "uuid1=GPU-b", "util_gpu0=40");
    s.sampleOnce();
    assertThat(s.latest("GPU-a").utilization()).isEqualTo(0.40);
    assertThat(s.devices().get(1).lost()).as("lost stays lost").isTrue();
  }

  @Test
  void v1OnlyLibraryWorksThroughTheFallbacks() throws IOException {
    config("count=1", "uuid0=GPU-old", "mem_total0=1000", "mem_used0=600", "mem_reserved0=50", "mem_free0=350",
        "procs0=7:100");
    NvmlGpuStateSource s = open(V1);
    assertThat(s.available()).as(s.unavailableReason()).isTrue();
    NvmlDeviceState d = s.devices().get(0);
    assertThat(d.memoryTotal().value()).isEqualTo(1000);
    assertThat(d.memoryUsed().value()).as("v1 used includes reserved").isEqualTo(650);
    assertThat(d.processes()).containsExactly(new NvmlDeviceState.GpuProcess(7, 100));
  }

  @Test
  void selectsDevicesByUuidOrIndex() throws IOException {
    config("count=3", "uuid0=GPU-0", "uuid1=GPU-1", "uuid2=GPU-2");
    source = NvmlGpuStateSource.builder().libraryPath(FULL).devices(Set.of("GPU-2", "0")).period(Duration.ofHours(1)).build();
    assertThat(source.latest()).extracting(GpuSnapshot::id).containsExactlyInAnyOrder("GPU-0", "GPU-2");
  }

  @Test
  void failingInitIsUnavailableWithTheReason() throws IOException {
    config("rc_init=9");
    NvmlGpuStateSource s = open(FULL);
    assertThat(s.available()).isFalse();
    assertThat(s.unavailableReason()).contains("DRIVER_NOT_LOADED");
    assertThat(s.latest()).isEmpty();
  }

  @Test
  void withoutAnyNvmlLibraryTheSourceIsUnavailableAndStartsNoThread() {
    NvmlGpuStateSource missing = NvmlGpuStateSource.builder().libraryPath("/nonexistent/libnvidia-ml.so.1").build();
    assertThat(missing.available()).isFalse();
    assertThat(missing.unavailableReason()).contains("not loadable");
    assertThat(missing.latest()).isEmpty();
    missing.close();
    // This machine has no NVIDIA driver: the default lookup fails the same way.
    NvmlGpuStateSource defaults = NvmlGpuStateSource.create();
    if (!defaults.available()) {
      assertThat(defaults.unavailableReason()).isNotBlank();
    }
    defaults.close();
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("inferscope-nvml-sampler"));
  }

  @Test
  void backgroundSamplerStopsOnClose() throws Exception {
    config("count=1", "uuid0=GPU-a", "util_gpu0=1");
    source = NvmlGpuStateSource.builder().libraryPath(FULL).period(Duration.ofMillis(10)).build();
    config("count=1", "uuid0=GPU-a", "util_gpu0=77");
    long until = System.nanoTime() + 5_000_000_000L;
    while (source.latest("GPU-a").utilization() != 0.77 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(source.latest("GPU-a").utilization()).isEqualTo(0.77);
    source.close();
    until = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < until && Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals("inferscope-nvml-sampler") && t.isAlive())) {
      Thread.onSpinWait();
    }
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("inferscope-nvml-sampler") && t.isAlive());
    source = null;
  }
}
