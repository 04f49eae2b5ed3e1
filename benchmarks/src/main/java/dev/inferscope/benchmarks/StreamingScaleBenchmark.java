package dev.inferscope.benchmarks;

import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.CompletionStream;
import dev.inferscope.vllm.VllmClient;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Group 5: 1, 64 and 1,024 concurrent streams of 64 tokens each through one Inferscope vLLM client with
 * full telemetry, the simulator in a child JVM. One operation runs every stream once, concurrently.
 * Reports process CPU time and tokens ({@code cpuNanos}, {@code tokens}: CPU per token should stay
 * flat as concurrency grows) and, per trial, the peak heap use and the heap left after a full GC in
 * {@code benchmarks/target/scale-heap-<streams>.txt}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class StreamingScaleBenchmark {
  static final int TOKENS = 64;

  @Param({"1", "64", "1024"})
  public int streams;

  private SimulatorProcess simulator;
  private VllmClient client;
  private OpenTelemetrySdk sdk;
  private ExecutorService workers;
  private final ChatRequest request = ChatRequest.builder("sim-llm").user("Tell me a story").build();
  private final AtomicLong peakHeap = new AtomicLong();

  /** Process CPU time and tokens, summed over each iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Counters {
    public long cpuNanos;
    public long tokens;
  }

  @Setup(Level.Trial)
  public void setup() {
    simulator = new SimulatorProcess(TOKENS);
    sdk = Fixtures.sdk();
    client = VllmClient.builder(URI.create("http://127.0.0.1:" + simulator.port()))
        .telemetry(Fixtures.fullTelemetry(sdk, Fixtures.prometheus()))
        .resilience(ResiliencePolicy.builder().maxAttempts(1).circuitBreaker(null).build()).build();
    workers = Executors.newFixedThreadPool(streams, r -> {
      Thread t = new Thread(r, "scale-worker");
      t.setDaemon(true);
      return t;
    });
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    workers.shutdownNow();
    client.close();
    sdk.close();
    simulator.close();
    System.gc();
    long live = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    Path out = Path.of("benchmarks", "target");
    if (!Files.isDirectory(out)) {
      out = Path.of("target");
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve("scale-heap-" + streams + ".txt"),
        "streams=" + streams + " peakHeapMiB=" + (peakHeap.get() >> 20) + " liveAfterGcMiB=" + (live >> 20) + "\n");
  }

  @Benchmark
  public long allStreams(Counters counters) throws Exception {
    long cpu0 = Cpu.processNanos();
    List<Future<Integer>> done = new ArrayList<>(streams);
    for (int i = 0; i < streams; i++) {
      done.add(workers.submit(() -> {
        int n = 0;
        try (CompletionStream s = client.chatStream(request)) {
          while (s.hasNext()) {
            if (!s.next().choices().isEmpty()) { // the last, usage-only chunk carries no token
              n++;
            }
          }
        }
        return n;
      }));
    }
    long tokens = 0;
    for (Future<Integer> f : done) {
      tokens += f.get();
    }
    peakHeap.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
    counters.cpuNanos += Cpu.processNanos() - cpu0;
    counters.tokens += tokens;
    if (tokens != (long) streams * TOKENS) {
      throw new IllegalStateException("expected " + streams * TOKENS + " tokens, got " + tokens);
    }
    return tokens;
  }
}
