package dev.inferscope.benchmarks;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.CompletionStream;
import dev.inferscope.vllm.StreamChunk;
import dev.inferscope.vllm.VllmClient;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
 * Group 3: client CPU per streamed token, Inferscope's vLLM client (full telemetry) against the official
 * OpenAI Java SDK, both streaming the same 256-token chat completion from the simulator running in a
 * child JVM (so this process's CPU time is the client's). CPU is the process CPU time (all threads:
 * the HTTP clients' own threads, GC and JIT included) per token, reported as the {@code cpuNanos} and
 * {@code tokens} counters. One operation runs {@code streams} streams at once (one thread each).
 *
 * <p>Two regimes: {@code gapMicros=0} (the server writes as fast as it can: the client is never idle, so
 * CPU per token is close to wall time per token and measures throughput on a saturated machine) and a
 * paced stream (a real server's gap is tens of milliseconds: the client sleeps between tokens, so CPU per
 * token is its own cost including the thread wake-ups per token). Before a paced trial both clients are
 * warmed on an unpaced simulator, so that the JIT compiler does not run during the few hundred
 * measured streams.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StreamingClientBenchmark {
  static final int TOKENS = 256;
  private static final long WARM_NANOS = TimeUnit.SECONDS.toNanos(15);

  @Param({"inferscope", "openai"})
  public String client;

  /** The simulator's gap between tokens in microseconds (0: as fast as it can write). */
  @Param({"0"})
  public int gapMicros;

  /** Streams run at once in one operation. */
  @Param({"1"})
  public int streams;

  private SimulatorProcess simulator;
  private OpenTelemetrySdk sdk;
  private Streamer streamer;
  private ExecutorService workers;

  /** Process CPU time and tokens, summed over each iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Counters {
    public long cpuNanos;
    public long tokens;
  }

  /** One client: streams one completion and returns its token count. */
  private interface Streamer extends AutoCloseable {
    long stream();

    @Override
    void close();
  }

  private Streamer open(URI base) {
    if (client.equals("inferscope")) {
      VllmClient c = VllmClient.builder(base).telemetry(Fixtures.fullTelemetry(sdk, Fixtures.prometheus()))
          .resilience(ResiliencePolicy.defaults()).build();
      ChatRequest request = ChatRequest.builder("sim-llm").user("Tell me a story").build();
      return new Streamer() {
        @Override
        public long stream() {
          long n = 0;
          try (CompletionStream s = c.chatStream(request)) {
            while (s.hasNext()) {
              StreamChunk chunk = s.next();
              if (!chunk.choices().isEmpty() && !chunk.choices().get(0).text().isEmpty()) {
                n++;
              }
            }
          }
          return n;
        }

        @Override
        public void close() {
          c.close();
        }
      };
    }
    OpenAIClient c = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("not-used").build();
    ChatCompletionCreateParams params =
        ChatCompletionCreateParams.builder().model("sim-llm").addUserMessage("Tell me a story").build();
    return new Streamer() {
      @Override
      public long stream() {
        try (StreamResponse<ChatCompletionChunk> s = c.chat().completions().createStreaming(params)) {
          return s.stream().filter(ch -> !ch.choices().isEmpty() && ch.choices().get(0).delta().content().isPresent())
              .count();
        }
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  @Setup(Level.Trial)
  public void setup() throws Exception {
    sdk = Fixtures.sdk();
    workers = Executors.newFixedThreadPool(streams, r -> {
      Thread t = new Thread(r, "stream-worker");
      t.setDaemon(true);
      return t;
    });
    if (gapMicros > 0) {
      try (SimulatorProcess fast = new SimulatorProcess(TOKENS);
          Streamer warm = open(URI.create("http://127.0.0.1:" + fast.port()))) {
        long end = System.nanoTime() + WARM_NANOS;
        while (System.nanoTime() < end) {
          runAll(warm);
        }
      }
    }
    simulator = new SimulatorProcess(TOKENS, gapMicros);
    streamer = open(URI.create("http://127.0.0.1:" + simulator.port()));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    streamer.close();
    sdk.close();
    workers.shutdownNow();
    simulator.close();
  }

  private long runAll(Streamer s) throws Exception {
    if (streams == 1) {
      return check(s.stream());
    }
    List<Future<Long>> done = new ArrayList<>(streams);
    for (int i = 0; i < streams; i++) {
      done.add(workers.submit(s::stream));
    }
    long n = 0;
    for (Future<Long> f : done) {
      n += check(f.get());
    }
    return n;
  }

  private static long check(long n) {
    if (n != TOKENS) {
      throw new IllegalStateException("expected " + TOKENS + " tokens, got " + n);
    }
    return n;
  }

  @Benchmark
  public long stream(Counters counters) throws Exception {
    long cpu0 = Cpu.processNanos();
    long n = runAll(streamer);
    counters.cpuNanos += Cpu.processNanos() - cpu0;
    counters.tokens += n;
    return n;
  }
}
