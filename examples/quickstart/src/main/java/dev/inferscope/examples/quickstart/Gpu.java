package dev.inferscope.examples.quickstart;

import dev.inferscope.core.GpuStateSource;
import java.util.List;

/** The GPU state source: {@code INFERSCOPE_GPU}, or Triton's metrics on the embedded simulator. */
final class Gpu {
  private Gpu() {}

  static GpuStateSource source(Config config, Quickstart.Servers servers, List<AutoCloseable> resources) {
    return GpuStateSource.none();
  }
}
