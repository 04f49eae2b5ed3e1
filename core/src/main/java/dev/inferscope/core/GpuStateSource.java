package dev.inferscope.core;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Where the telemetry engine gets GPU state from. Implementations sample in the background and keep the
 * latest snapshots; the methods here are called on the request path and must not block, do I/O or
 * allocate: a volatile read of an immutable list is the expected cost.
 */
public interface GpuStateSource {

  /** The latest snapshot of every GPU this source watches; empty when none is known. */
  List<GpuSnapshot> latest();

  /**
   * The latest snapshot of the GPU with this id (UUID or index as text), or {@code null}. The default
   * scans {@link #latest()} without allocating.
   */
  default @Nullable GpuSnapshot latest(String id) {
    List<GpuSnapshot> all = latest();
    for (int i = 0, n = all.size(); i < n; i++) {
      GpuSnapshot s = all.get(i);
      if (s.id().equals(id) || (s.index() >= 0 && Integer.toString(s.index()).equals(id))) {
        return s;
      }
    }
    return null;
  }

  /** Whether the source can produce readings at all. */
  default boolean available() {
    return true;
  }

  /** Why the source is unavailable, or {@code null} when it is available. */
  default @Nullable String unavailableReason() {
    return null;
  }

  /** A short name for tags and logs: {@code nvml}, {@code dcgm-exporter}, {@code triton}, {@code none}. */
  String name();

  /**
   * A source that always answers these snapshots (tests, a fixed lab set-up, a value read once at start).
   * Its name is the first snapshot's {@link GpuSnapshot#source()}, or {@code fixed}.
   */
  static GpuStateSource fixed(List<GpuSnapshot> snapshots) {
    List<GpuSnapshot> all = List.copyOf(snapshots);
    String name = all.isEmpty() ? "fixed" : all.get(0).source();
    return new GpuStateSource() {
      @Override
      public List<GpuSnapshot> latest() {
        return all;
      }

      @Override
      public String name() {
        return name;
      }

      @Override
      public String toString() {
        return "GpuStateSource.fixed" + all;
      }
    };
  }

  /** A source that knows no GPU. */
  static GpuStateSource none() {
    return NoGpuStateSource.INSTANCE;
  }
}
