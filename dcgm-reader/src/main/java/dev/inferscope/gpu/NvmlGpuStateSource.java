package dev.inferscope.gpu;

import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.gpu.internal.NvmlNative;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPU state read from NVML through Inferscope's JNI shim, sampled in the background (default every
 * second). The request path only reads the latest immutable list (a volatile read): no NVML call, no
 * allocation. Where NVML cannot be loaded (no driver, no library, another OS), the source is
 * {@linkplain #available() unavailable} with the reason, logs it once, starts no thread, and nothing else
 * fails. A device that reports GPU_IS_LOST is marked lost; the others keep being sampled.
 *
 * <p>The NVML library is {@code libnvidia-ml.so.1} (then {@code libnvidia-ml.so}), or the path in the
 * system property {@code inferscope.nvml.library} or the environment variable
 * {@code INFERSCOPE_NVML_LIBRARY}, or the one given to the builder.
 */
public final class NvmlGpuStateSource implements GpuStateSource, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NvmlGpuStateSource.class);

  private final InferenceClock clock;
  private final Set<String> selected;
  private final @Nullable String unavailable;
  private final @Nullable ScheduledExecutorService sampler;
  private volatile List<GpuSnapshot> latest = List.of();
  private volatile List<NvmlDeviceState> devices = List.of();
  private final boolean[] lost;
  private final int count;
  private volatile boolean closed;

  private NvmlGpuStateSource(Builder b) {
    this.clock = b.clock;
    this.selected = Set.copyOf(b.devices);
    String why = NvmlNative.load();
    int n = 0;
    if (why == null) {
      String path = b.libraryPath != null ? b.libraryPath
          : System.getProperty("inferscope.nvml.library", System.getenv("INFERSCOPE_NVML_LIBRARY"));
      why = NvmlNative.open(path);
      if (why == null) {
        int rc = NvmlNative.init();
        if (rc != 0) {
          why = "nvmlInit failed: " + NvmlStatus.of(rc);
          NvmlNative.close();
        } else {
          n = NvmlNative.deviceCount();
          if (n < 0) {
            why = "nvmlDeviceGetCount failed: " + NvmlStatus.of(-n);
            NvmlNative.shutdown();
            NvmlNative.close();
            n = 0;
          }
        }
      } else {
        why = "NVML library not loadable: " + why;
      }
    }
    this.unavailable = why;
    this.count = n;
    this.lost = new boolean[n];
    if (why != null) {
      LOG.info("inferscope: NVML GPU state unavailable: {}", why);
      this.sampler = null;
      return;
    }
    sampleOnce();
    this.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "inferscope-nvml-sampler");
      t.setDaemon(true);
      return t;
    });
    long period = b.period.toNanos();
    sampler.scheduleAtFixedRate(this::sampleQuietly, period, period, TimeUnit.NANOSECONDS);
  }

  /** A source with the defaults (1 s period, all devices). */
  public static NvmlGpuStateSource create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  private void sampleQuietly() {
    try {
      sampleOnce();
    } catch (RuntimeException | LinkageError e) {
      LOG.debug("inferscope: NVML sample failed", e);
    }
  }

  /** Samples every selected device now (the background sampler calls this). */
  public synchronized void sampleOnce() {
    if (unavailable != null || closed) {
      return;
    }
    List<GpuSnapshot> snaps = new ArrayList<>(count);
    List<NvmlDeviceState> states = new ArrayList<>(count);
    long[] numbers = new long[2 * NvmlNative.FIELDS];
    for (int i = 0; i < count; i++) {
      String[] strings = new String[3];
      java.util.Arrays.fill(numbers, 0);
      int rc = NvmlNative.readDevice(i, numbers, strings);
      long now = clock.nanoTime();
      if (rc == NvmlStatus.GPU_IS_LOST.code()) {
        if (!lost[i]) {
          LOG.warn("inferscope: GPU {} is lost (NVML GPU_IS_LOST); it is no longer sampled", i);
        }
        lost[i] = true;
      }
      if (rc != 0 || lost[i]) {
        NvmlReading none = new NvmlReading(NvmlStatus.of(rc == 0 ? 15 : rc), 0);
        states.add(new NvmlDeviceState(i, null, null, null, none, none, none, none, none, none, none, none, none,
            none, none, none, none, List.of(), lost[i], now));
        continue;
      }
      NvmlDeviceState st = state(i, numbers, strings, now);
      if (!selected.isEmpty() && !selected.contains(Integer.toString(i))
          && (st.uuid() == null || !selected.contains(st.uuid()))) {
        continue;
      }
      states.add(st);
      snaps.add(snapshot(st));
    }
    devices = List.copyOf(states);
    latest = List.copyOf(snaps);
  }

  private static NvmlDeviceState state(int i, long[] n, @Nullable String[] s, long now) {
    List<NvmlDeviceState.GpuProcess> procs = new ArrayList<>();
    if (n[2 * NvmlNative.FIELD_PROCESSES] == 0 && n[2 * NvmlNative.FIELD_PROCESSES + 1] > 0) {
      long[] pairs = NvmlNative.processes(i);
      if (pairs != null) {
        for (int p = 0; p + 1 < pairs.length; p += 2) {
          procs.add(new NvmlDeviceState.GpuProcess(pairs[p], pairs[p + 1]));
        }
      }
    }
    return new NvmlDeviceState(i, s[0], s[1], s[2], r(n, NvmlNative.FIELD_GPU_UTIL), r(n, NvmlNative.FIELD_MEM_UTIL),
        r(n, NvmlNative.FIELD_MEM_TOTAL), r(n, NvmlNative.FIELD_MEM_USED), r(n, NvmlNative.FIELD_MEM_FREE),
        r(n, NvmlNative.FIELD_TEMPERATURE), r(n, NvmlNative.FIELD_POWER), r(n, NvmlNative.FIELD_POWER_LIMIT),
        r(n, NvmlNative.FIELD_SM_CLOCK), r(n, NvmlNative.FIELD_MEM_CLOCK), r(n, NvmlNative.FIELD_REASONS),
        r(n, NvmlNative.FIELD_MIG), r(n, NvmlNative.FIELD_PROCESSES), procs, false, now);
  }

  private static NvmlReading r(long[] n, int field) {
    return NvmlReading.of(n[2 * field], n[2 * field + 1]);
  }

  private static GpuSnapshot snapshot(NvmlDeviceState st) {
    String id = st.uuid() != null ? st.uuid() : Integer.toString(st.index());
    return new GpuSnapshot(id, st.index(), st.name(),
        st.gpuUtilization().ok() ? st.gpuUtilization().value() / 100.0 : Double.NaN,
        st.memoryUsed().ok() ? st.memoryUsed().value() : -1,
        st.memoryTotal().ok() ? st.memoryTotal().value() : -1,
        st.powerUsage().ok() ? st.powerUsage().value() / 1000.0 : Double.NaN,
        st.temperature().ok() ? st.temperature().value() : Double.NaN,
        st.sampledAtNanos(), "nvml", false);
  }

  @Override
  public List<GpuSnapshot> latest() {
    return latest;
  }

  /** The detailed state of every device from the last sample. */
  public List<NvmlDeviceState> devices() {
    return devices;
  }

  @Override
  public boolean available() {
    return unavailable == null;
  }

  @Override
  public @Nullable String unavailableReason() {
    return unavailable;
  }

  @Override
  public String name() {
    return "nvml";
  }

  /** Stops the sampler and shuts NVML down. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (sampler != null) {
      sampler.shutdownNow();
      try {
        sampler.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (unavailable == null) {
      NvmlNative.shutdown();
      NvmlNative.close();
    }
  }

  /** Builds an {@link NvmlGpuStateSource}. */
  public static final class Builder {
    private @Nullable String libraryPath;
    private Duration period = Duration.ofSeconds(1);
    private Set<String> devices = Set.of();
    private InferenceClock clock = InferenceClock.system();

    private Builder() {}

    /** An explicit path of libnvidia-ml. */
    public Builder libraryPath(@Nullable String path) {
      this.libraryPath = path;
      return this;
    }

    /** The sampling period (default 1 s). */
    public Builder period(Duration period) {
      if (period.isNegative() || period.isZero()) {
        throw new IllegalArgumentException("period must be positive");
      }
      this.period = period;
      return this;
    }

    /** Devices to watch, by UUID or index; empty (the default) means all. */
    public Builder devices(Set<String> uuidsOrIndexes) {
      this.devices = Set.copyOf(uuidsOrIndexes);
      return this;
    }

    public Builder clock(InferenceClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public NvmlGpuStateSource build() {
      return new NvmlGpuStateSource(this);
    }
  }
}
