package dev.inferscope.benchmarks;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.LogPolicy;
import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.Phase;
import dev.inferscope.core.internal.RequestLogWriter;
import dev.inferscope.core.prometheus.PrometheusText;
import dev.inferscope.core.prometheus.PrometheusTextParser;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** Group 4: the pieces on the request path. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmark {
  private OpenTelemetrySdk sdk;
  private PrometheusMeterRegistry registry;
  private InferenceTelemetry full;
  private InferenceTelemetry noop;
  private CallDescriptor descriptor;
  private RequestLogWriter writer;
  private CallRecord entry;
  private GpuStateSource gpu;
  private String exposition;

  @Setup
  public void setup() {
    sdk = Fixtures.sdk();
    registry = Fixtures.prometheus();
    full = Fixtures.fullTelemetry(sdk, registry);
    noop = InferenceTelemetry.noop();
    descriptor = CallDescriptor.builder(InferenceSystem.TRITON, "infer", "resnet50").endpoint("vision")
        .server("127.0.0.1", 8001).rpc("inference.GRPCInferenceService", "ModelInfer").batchSize(1).requestBytes(64)
        .build();
    writer = new RequestLogWriter("bench", null, false);
    // A real record, made the one way records are made: by ending a call.
    CallRecord[] captured = new CallRecord[1];
    InferenceTelemetry recording = InferenceTelemetry.builder().openTelemetry(sdk)
        .logPolicy(LogPolicy.disabled()).addListener(r -> captured[0] = r).build();
    Call c = recording.start(descriptor);
    c.recordPhase(Phase.SERIALIZE, 2_000L);
    c.recordPhase(Phase.DESERIALIZE, 3_000L);
    c.responseBytes(64);
    c.end();
    entry = captured[0];
    List<GpuSnapshot> snaps = List.of(new GpuSnapshot("GPU-1", 0, "H100", 0.9, 1, 2, 3, 4, System.nanoTime(), "nvml", false));
    gpu = new VolatileSource(snaps);
    StringBuilder sb = new StringBuilder("# TYPE series gauge\n");
    for (int i = 0; i < 5_000; i++) {
      sb.append("nv_inference_queue_duration_us{model=\"m").append(i % 50).append("\",version=\"").append(i)
          .append("\"} ").append(i * 13).append('\n');
    }
    exposition = sb.toString();
  }

  @TearDown
  public void tearDown() {
    sdk.close();
  }

  /** A source whose latest() is one volatile read. */
  static final class VolatileSource implements GpuStateSource {
    private volatile List<GpuSnapshot> latest;

    VolatileSource(List<GpuSnapshot> latest) {
      this.latest = latest;
    }

    @Override
    public List<GpuSnapshot> latest() {
      return latest;
    }

    @Override
    public String name() {
      return "bench";
    }
  }

  @Benchmark
  public void callStartToEndFullTelemetry() {
    Call c = full.start(descriptor);
    c.recordPhase(Phase.SERIALIZE, 1_000);
    c.recordPhase(Phase.DESERIALIZE, 1_000);
    c.end();
  }

  @Benchmark
  public void callStartToEndNoopTelemetry() {
    Call c = noop.start(descriptor);
    c.recordPhase(Phase.SERIALIZE, 1_000);
    c.end();
  }

  @Benchmark
  public String jsonLogEvent() {
    return writer.toJson(entry, "rate");
  }

  @Benchmark
  public GpuSnapshot gpuSnapshotAttach() {
    return gpu.latest("GPU-1");
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public PrometheusText prometheusParse5000Series() {
    return PrometheusTextParser.parse(exposition);
  }
}
