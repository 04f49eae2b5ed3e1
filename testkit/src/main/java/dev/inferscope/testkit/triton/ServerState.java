package dev.inferscope.testkit.triton;

import dev.inferscope.triton.protocol.CudaSharedMemoryStatusResponse;
import dev.inferscope.triton.protocol.SystemSharedMemoryStatusResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What both frontends read and change besides the models: the headers requests carried, the trace and
 * log settings, the registered shared-memory regions and the GPU utilization {@code /metrics} reports.
 */
final class ServerState {
  /** Requests whose headers are kept: a long-running simulator (benchmarks, load) must not grow. */
  static final int HEADERS_KEPT = 10_000;

  final ConcurrentLinkedQueue<Map<String, String>> seenHeaders = new ConcurrentLinkedQueue<>();
  private final AtomicInteger seenHeaderCount = new AtomicInteger();
  final Map<String, SystemSharedMemoryStatusResponse.RegionStatus> systemRegions = new ConcurrentHashMap<>();
  final Map<String, CudaSharedMemoryStatusResponse.RegionStatus> cudaRegions = new ConcurrentHashMap<>();
  final Map<String, List<String>> traceSettings = new ConcurrentHashMap<>(Map.of("trace_level", List.of("OFF")));
  final Map<String, Object> logSettings = new ConcurrentHashMap<>(Map.of("log_info", true, "log_verbose_level", 0));
  volatile double gpuUtilization = 0.42;

  void remember(Map<String, String> h) {
    seenHeaders.add(h);
    if (seenHeaderCount.incrementAndGet() > HEADERS_KEPT && seenHeaders.poll() != null) {
      seenHeaderCount.decrementAndGet();
    }
  }
}
