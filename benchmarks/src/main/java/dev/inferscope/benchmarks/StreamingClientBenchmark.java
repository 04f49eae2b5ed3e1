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
 * {@code tokens} counters.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StreamingClientBenchmark {
  static final int TOKENS = 256;

  @Param({"inferscope", "openai"})
  public String client;

  private SimulatorProcess simulator;
  private VllmClient inferscope;
  private OpenTelemetrySdk sdk;
  private OpenAIClient openai;
  private ChatRequest request;
  private ChatCompletionCreateParams params;

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
    URI base = URI.create("http://127.0.0.1:" + simulator.port());
    if (client.equals("inferscope")) {
      sdk = Fixtures.sdk();
      inferscope = VllmClient.builder(base).telemetry(Fixtures.fullTelemetry(sdk, Fixtures.prometheus()))
          .resilience(ResiliencePolicy.defaults()).build();
      request = ChatRequest.builder("sim-llm").user("Tell me a story").build();
    } else {
      openai = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("not-used").build();
      params = ChatCompletionCreateParams.builder().model("sim-llm").addUserMessage("Tell me a story").build();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (inferscope != null) {
      inferscope.close();
      sdk.close();
    }
    if (openai != null) {
      openai.close();
    }
    simulator.close();
  }

  @Benchmark
  public long stream(Counters counters) {
    long cpu0 = Cpu.processNanos();
    long n = 0;
    if (inferscope != null) {
      try (CompletionStream s = inferscope.chatStream(request)) {
        while (s.hasNext()) {
          StreamChunk c = s.next();
          if (!c.choices().isEmpty() && !c.choices().get(0).text().isEmpty()) {
            n++;
          }
        }
      }
    } else {
      try (StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(params)) {
        n = s.stream().filter(c -> !c.choices().isEmpty() && c.choices().get(0).delta().content().isPresent())
            .count();
      }
    }
    counters.cpuNanos += Cpu.processNanos() - cpu0;
    counters.tokens += n;
    if (n != TOKENS) {
      throw new IllegalStateException("expected " + TOKENS + " tokens, got " + n);
    }
    return n;
  }
}
