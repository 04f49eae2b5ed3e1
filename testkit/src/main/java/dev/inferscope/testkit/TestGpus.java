package dev.inferscope.testkit;

import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import java.util.List;

/** GPU state for tests: a source that always reports one GPU with a given id. */
public final class TestGpus {
  private TestGpus() {}

  /** A source with one GPU {@code id} (half busy, 1 of 16 GiB used, 60 W, 45 °C), sampled now. */
  public static GpuStateSource source(String id) {
    return GpuStateSource.fixed(List.of(new GpuSnapshot(id, 0, "test GPU", 0.5, 1L << 30, 1L << 34, 60, 45,
        System.nanoTime(), "test", false)));
  }
}
