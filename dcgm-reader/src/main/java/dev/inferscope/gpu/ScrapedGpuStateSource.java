package dev.inferscope.gpu;

import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.prometheus.PrometheusScraper;
import dev.inferscope.core.prometheus.PrometheusText;
import dev.inferscope.core.prometheus.Sample;
import dev.inferscope.core.prometheus.ScrapeResult;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * GPU state read from a remote {@code /metrics}: dcgm-exporter's ({@link #dcgmExporter}) or Triton's
 * ({@link #tritonMetrics}). A background scraper (core's {@link PrometheusScraper}) keeps the latest
 * snapshots; every snapshot carries its sample time, and snapshots are marked stale when the last scrape
 * failed or is old. {@link #close()} stops the scraper's thread.
 */
public final class ScrapedGpuStateSource implements GpuStateSource, AutoCloseable {
  /** dcgm-exporter's "blank" sentinels start here (DCGM_INT64_BLANK and above). */
  static final double DCGM_BLANK_INT64 = 0x7ffffffffffffff0L;
  /** DCGM_INT32_BLANK and above. */
  static final double DCGM_BLANK_INT32 = 0x7ffffff0;
  /** DCGM_FP64_BLANK. */
  static final double DCGM_BLANK_FP64 = 140737488355328.0;

  private final String name;
  private final PrometheusScraper scraper;
  private final BiFunction<PrometheusText, Long, List<GpuSnapshot>> mapping;
  private volatile List<GpuSnapshot> latest = List.of();
  private volatile List<GpuSnapshot> staleView = List.of();
  private volatile List<DcgmDevice> dcgmDevices = List.of();

  /**
   * What dcgm-exporter says of one GPU beyond the snapshot: its labels, SM clock and the profiling
   * fields present (blank sentinels dropped).
   *
   * @param uuid the {@code UUID} label
   * @param gpu the {@code gpu} label (index)
   * @param modelName the {@code modelName} label
   * @param hostname the {@code Hostname} (or {@code hostname}) label
   * @param pod the {@code pod} label (Kubernetes)
   * @param namespace the {@code namespace} label
   * @param container the {@code container} label
   * @param smClockMhz {@code DCGM_FI_DEV_SM_CLOCK}, or NaN
   * @param profiling {@code DCGM_FI_PROF_*} fields present, by field name (ratios)
   */
  public record DcgmDevice(String uuid, @Nullable String gpu, @Nullable String modelName, @Nullable String hostname,
      @Nullable String pod, @Nullable String namespace, @Nullable String container, double smClockMhz,
      Map<String, Double> profiling) {
    public DcgmDevice {
      profiling = Map.copyOf(profiling);
    }
  }

  private ScrapedGpuStateSource(String name, URI uri, Duration interval, InferenceClock clock,
      BiFunction<PrometheusText, Long, List<GpuSnapshot>> mapping) {
    this.name = name;
    this.mapping = mapping;
    this.scraper = PrometheusScraper.builder(uri).interval(interval)
        .timeout(interval.compareTo(Duration.ofSeconds(5)) < 0 ? interval : Duration.ofSeconds(5)).clock(clock).build();
    scraper.addListener(this::update);
    scraper.start();
  }

  /** Reads dcgm-exporter at {@code uri} (usually {@code http://host:9400/metrics}). */
  public static ScrapedGpuStateSource dcgmExporter(URI uri, Duration interval) {
    return new ScrapedGpuStateSource("dcgm-exporter", uri, interval, InferenceClock.system(),
        ScrapedGpuStateSource::fromDcgm);
  }

  /** Reads Triton's metrics at {@code uri} (usually {@code http://host:8002/metrics}). */
  public static ScrapedGpuStateSource tritonMetrics(URI uri, Duration interval) {
    return new ScrapedGpuStateSource("triton", uri, interval, InferenceClock.system(),
        ScrapedGpuStateSource::fromTriton);
  }

  private void update(ScrapeResult r) {
    if (name.equals("dcgm-exporter")) {
      dcgmDevices = dcgmDevices(r.text());
    }
    List<GpuSnapshot> s = mapping.apply(r.text(), r.scrapedAtNanos());
    latest = s;
    List<GpuSnapshot> stale = new ArrayList<>(s.size());
    for (GpuSnapshot g : s) {
      stale.add(g.asStale());
    }
    staleView = List.copyOf(stale);
  }

  /** Scrapes now, on the calling thread. */
  public List<GpuSnapshot> refresh() {
    scraper.scrapeNow();
    return latest();
  }

  @Override
  public List<GpuSnapshot> latest() {
    return scraper.stale() ? staleView : latest;
  }

  @Override
  public boolean available() {
    return scraper.latest() != null;
  }

  @Override
  public @Nullable String unavailableReason() {
    return scraper.latest() != null ? null : scraper.lastError() == null ? "no scrape yet" : scraper.lastError();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void close() {
    scraper.close();
  }

  static boolean blank(double v) {
    return Double.isNaN(v) || v >= DCGM_BLANK_INT64 || v == DCGM_BLANK_FP64
        || (v >= DCGM_BLANK_INT32 && v <= DCGM_BLANK_INT32 + 15);
  }

  /** Maps dcgm-exporter's fields to snapshots, one per {@code UUID} (or {@code gpu}) label. */
  public static List<GpuSnapshot> fromDcgm(PrometheusText t, Long at) {
    Map<String, double[]> byGpu = new LinkedHashMap<>();
    Map<String, String[]> labels = new LinkedHashMap<>();
    String[] fields = {"DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_GPU_TEMP",
        "DCGM_FI_DEV_POWER_USAGE"};
    for (int f = 0; f < fields.length; f++) {
      for (Sample s : t.samples(fields[f])) {
        String id = s.label("UUID") != null ? s.label("UUID") : s.label("gpu");
        if (id == null) {
          continue;
        }
        double[] v = byGpu.computeIfAbsent(id, k -> new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN});
        labels.putIfAbsent(id, new String[] {s.label("gpu"), s.label("modelName")});
        if (!blank(s.value())) {
          v[f] = s.value();
        }
      }
    }
    List<GpuSnapshot> out = new ArrayList<>();
    for (Map.Entry<String, double[]> e : byGpu.entrySet()) {
      double[] v = e.getValue();
      String[] l = labels.get(e.getKey());
      long usedMib = mibOrUnknown(v[1]);
      long freeMib = mibOrUnknown(v[2]);
      out.add(new GpuSnapshot(e.getKey(), parseIndex(l[0]), l[1],
          Double.isNaN(v[0]) ? Double.NaN : v[0] / 100.0,
          usedMib < 0 ? -1 : usedMib << 20,
          usedMib < 0 || freeMib < 0 || usedMib + freeMib > MAX_MIB ? -1 : (usedMib + freeMib) << 20,
          v[4], v[3], at, "dcgm-exporter", false));
    }
    return List.copyOf(out);
  }

  /** dcgm-exporter only: labels, SM clock and profiling fields of every GPU of the last scrape. */
  public List<DcgmDevice> dcgmDevices() {
    return dcgmDevices;
  }

  /** The profiling fields read when present. */
  static final List<String> PROFILING_FIELDS = List.of("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_PROF_SM_ACTIVE",
      "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "DCGM_FI_PROF_DRAM_ACTIVE");

  /** Reads dcgm-exporter's labels, SM clock and profiling fields per GPU. */
  public static List<DcgmDevice> dcgmDevices(PrometheusText t) {
    Map<String, Sample> firstSample = new LinkedHashMap<>();
    Map<String, Double> clocks = new LinkedHashMap<>();
    Map<String, Map<String, Double>> prof = new LinkedHashMap<>();
    for (Map.Entry<String, dev.inferscope.core.prometheus.MetricFamily> f : t.families().entrySet()) {
      if (!f.getKey().startsWith("DCGM_FI_")) {
        continue;
      }
      for (Sample s : f.getValue().samples()) {
        String id = s.label("UUID") != null ? s.label("UUID") : s.label("gpu");
        if (id == null) {
          continue;
        }
        firstSample.putIfAbsent(id, s);
        if (blank(s.value())) {
          continue;
        }
        if (s.name().equals("DCGM_FI_DEV_SM_CLOCK")) {
          clocks.put(id, s.value());
        } else if (PROFILING_FIELDS.contains(s.name())) {
          prof.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(s.name(), s.value());
        }
      }
    }
    List<DcgmDevice> out = new ArrayList<>();
    for (Map.Entry<String, Sample> e : firstSample.entrySet()) {
      Sample s = e.getValue();
      String host = s.label("Hostname") != null ? s.label("Hostname") : s.label("hostname");
      out.add(new DcgmDevice(e.getKey(), s.label("gpu"), s.label("modelName"), host, s.label("pod"),
          s.label("namespace"), s.label("container"), clocks.getOrDefault(e.getKey(), Double.NaN),
          prof.getOrDefault(e.getKey(), Map.of())));
    }
    return List.copyOf(out);
  }

  /** Maps Triton's {@code nv_gpu_*} gauges to snapshots, one per {@code gpu_uuid}. */
  public static List<GpuSnapshot> fromTriton(PrometheusText t, Long at) {
    Map<String, double[]> byGpu = new LinkedHashMap<>();
    String[] fields = {"nv_gpu_utilization", "nv_gpu_memory_used_bytes", "nv_gpu_memory_total_bytes",
        "nv_gpu_power_usage"};
    for (int f = 0; f < fields.length; f++) {
      for (Sample s : t.samples(fields[f])) {
        String id = s.label("gpu_uuid");
        if (id == null) {
          continue;
        }
        byGpu.computeIfAbsent(id, k -> new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN})[f] = s.value();
      }
    }
    List<GpuSnapshot> out = new ArrayList<>();
    int i = 0;
    for (Map.Entry<String, double[]> e : byGpu.entrySet()) {
      double[] v = e.getValue();
      out.add(new GpuSnapshot(e.getKey(), i++, null, v[0], bytesOrUnknown(v[1]), bytesOrUnknown(v[2]), v[3],
          Double.NaN, at, "triton", false));
    }
    return List.copyOf(out);
  }

  /** The most MiB whose byte count a long holds. */
  private static final long MAX_MIB = Long.MAX_VALUE >> 20;

  /** A MiB count read as a double: -1 (unknown) for NaN, negative readings and more bytes than a long holds. */
  private static long mibOrUnknown(double v) {
    return Double.isNaN(v) || v < 0 || v > MAX_MIB ? -1 : (long) v;
  }

  /** A byte count read as a double: -1 (unknown) for NaN and for negative readings. */
  private static long bytesOrUnknown(double v) {
    return Double.isNaN(v) || v < 0 ? -1 : (long) v;
  }

  private static int parseIndex(@Nullable String s) {
    if (s == null) {
      return -1;
    }
    try {
      int index = Integer.parseInt(s);
      return index < 0 ? -1 : index; // -1 is "unknown"; no device has a negative index
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public String toString() {
    return "ScrapedGpuStateSource[" + name + ", " + Objects.toString(scraper) + "]";
  }
}
