package dev.inferscope.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.gpu.internal.NvmlNative;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Runs in the integration-test phase against the packaged jar: the shim loads from inside it. */
class NvmlPackagedJarIT {

  @Test
  void shimLoadsFromThePackagedJar() {
    String where = NvmlNative.class.getProtectionDomain().getCodeSource().getLocation().toString();
    assertThat(where).endsWith(".jar");
    NvmlGpuStateSource s = NvmlGpuStateSource.builder()
        .libraryPath(java.nio.file.Path.of("target/fake-nvml/full/libnvidia-ml.so.1").toAbsolutePath().toString())
        .period(Duration.ofHours(1)).build();
    try {
      assertThat(s.available()).as(s.unavailableReason()).isTrue();
      assertThat(NvmlNative.loadedFrom()).isNotNull();
      assertThat(NvmlNative.loadedFrom().toString()).startsWith("jar:");
      assertThat(s.latest()).isNotEmpty();
    } finally {
      s.close();
    }
  }
}
