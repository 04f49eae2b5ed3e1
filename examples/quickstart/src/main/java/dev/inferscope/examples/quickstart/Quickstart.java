package dev.inferscope.examples.quickstart;

import dev.inferscope.core.Deadline;
import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.testkit.vllm.VllmSimulator;
import dev.inferscope.triton.InferRequest;
import dev.inferscope.triton.ModelMetadata;
import dev.inferscope.triton.TritonClient;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.CompletionStream;
import dev.inferscope.vllm.ModelInfo;
import dev.inferscope.vllm.SamplingParams;
import dev.inferscope.vllm.VllmClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where does the time of an inference call go? Runs a short mixed workload against Triton and vLLM and
 * prints, per model, p50/p99 of the total and of its split into client queue, network, server queue and
 * server compute (and time to first token and per-token gap for LLM calls).
 *
 * <p>By default it starts the testkit's simulators in-process with a backlog: {@code resnet50} takes
 * 150 ms on one instance and ten callers want it at once, so most of its time is spent in the server's
 * queue; {@code mobilenet} is fast; {@code llama-3-8b} streams tokens from a simulated vLLM with four
 * running slots. Environment variables point it at real servers instead (see {@link Config}).
 */
public final class Quickstart {
  private Quickstart() {}

  /** Runs the demo; exits 0 after printing the table, 2 on a configuration error. */
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Config config;
    try {
      config = Config.from(System.getenv());
    } catch (IllegalArgumentException e) {
      out.println("quickstart: " + e.getMessage());
      System.exit(2);
      return;
    }
    int code = run(config, out);
    System.exit(code);
  }

  /** Runs the demo with {@code config}; returns the exit code. */
  static int run(Config config, PrintStream out) throws Exception {
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      Breakdown breakdown = new Breakdown();
      // counted from the measured run on: not the metadata calls made while setting up, not the warm-up
      breakdown.counting(false);
      Servers servers = config.embedded() ? startSimulators(config, resources, out) : Servers.remote(config);
      GpuStateSource gpu = Gpu.source(config, servers, resources);
      servers = servers.withGpuIds(gpu.latest().stream().map(GpuSnapshot::id).toList());
      InferenceTelemetry telemetry = InferenceTelemetry.builder()
          .openTelemetry(OpenTelemetry.noop())
          .meterRegistry(new SimpleMeterRegistry())
          .logPolicy(config.logRequests() ? LogPolicy.defaults() : LogPolicy.disabled())
          .gpuStateSource(gpu)
          .addListener(breakdown)
          .build();
      Workload workload = new Workload();
      if (servers.tritonGrpcTarget() != null || servers.tritonHttpUrl() != null) {
        addTriton(config, servers, telemetry, workload, resources, out);
      }
      if (servers.vllmBaseUrl() != null) {
        addVllm(config, servers, telemetry, workload, resources, out);
      }
      if (workload.isEmpty()) {
        out.println("quickstart: nothing to call");
        return 2;
      }
      out.println();
      if (config.embedded() && config.streamWarmUpSeconds() > 0) {
        out.printf(Locale.ROOT, "Compiling the stream path (%d s of back-to-back streams against a fast twin of the "
            + "vLLM simulator, not counted)%n", config.streamWarmUpSeconds());
        warmStreamPath(telemetry, Duration.ofSeconds(config.streamWarmUpSeconds()));
      }
      // A service measures a warm client: the first seconds fill the statistics poller's first interval,
      // the round-trip baselines, the connection pools and the JIT. They are run and not counted.
      long warmStart = System.nanoTime();
      // It ends once the JIT has settled (JitSettled), after at least 2 s and at most QUICKSTART_WARMUP_MAX.
      out.printf(Locale.ROOT, "Warming up until the JIT settles (at most %d s, not counted)",
          config.warmUpMaxSeconds());
      out.flush();
      workload.run(Duration.ofSeconds(config.warmUpMaxSeconds()), new JitSettled(2), breakdown, new PrintStream(java.io.OutputStream.nullOutputStream()));
      out.printf(Locale.ROOT, ": %.0f s%n", (System.nanoTime() - warmStart) / 1e9);
      breakdown.counting(true);
      out.printf(Locale.ROOT, "Running %d s: %s%n", config.seconds(), workload.describe());
      workload.run(Duration.ofSeconds(config.seconds()), breakdown, out);
      out.println();
      out.println("Where the time went, per model:");
      out.println();
      out.print(breakdown.render());
      printGpu(gpu, out);
      if (!breakdown.errorTypes().isEmpty()) {
        out.println("failures by type: " + breakdown.errorTypes() + (workload.firstFailure() == null ? ""
            : "; the first: " + workload.firstFailure()));
      }
      if (config.embedded()) {
        out.printf(Locale.ROOT, "%nresnet50 spends %.0f %% of its time in Triton's queue: 150 ms of compute on one "
            + "instance, ten callers. More instances (or dynamic batching) would fix that; a faster GPU would not.%n",
            breakdown.serverQueueShare("resnet50") * 100);
      }
      return 0;
    } finally {
      for (int i = resources.size() - 1; i >= 0; i--) {
        try {
          resources.get(i).close();
        } catch (Exception ignored) {
          // best effort
        }
      }
    }
  }

  private static Servers startSimulators(Config config, List<AutoCloseable> resources, PrintStream out) {
    TritonSimulator triton = TritonSimulator.builder()
        .model(SimulatedModel.builder("resnet50").input("INPUT0", "FP32", 1, 3, 32, 32)
            .computeTime(Duration.ofMillis(150)).instances(1).build())
        .model(SimulatedModel.builder("mobilenet").input("INPUT0", "FP32", 1, 3, 16, 16)
            .computeTime(Duration.ofMillis(4)).instances(2).build())
        .start();
    resources.add(triton);
    VllmSimulator vllm = VllmSimulator.builder()
        .models("llama-3-8b")
        .timeToFirstToken(Duration.ofMillis(120))
        .interTokenGap(Duration.ofMillis(15))
        .tokensPerResponse(24)
        .maxRunning(4)
        .perRequestMetrics(true)
        .start();
    resources.add(vllm);
    out.println("Started the embedded simulators (set TRITON_GRPC_TARGET / VLLM_BASE_URL to use real servers):");
    out.println("  Triton  grpc " + triton.grpcTarget() + "  http " + triton.httpUri()
        + "  models resnet50 (150 ms, 1 instance), mobilenet (4 ms, 2 instances)");
    out.println("  vLLM    " + vllm.baseUri() + "  model llama-3-8b (TTFT 120 ms, 15 ms/token, 24 tokens, 4 running)");
    Map<String, Integer> models = new LinkedHashMap<>();
    models.put("resnet50", 10);
    models.put("mobilenet", 2);
    return new Servers(triton.grpcTarget(), null, vllm.baseUri(), null, triton.httpUri().resolve("/metrics"),
        models, "llama-3-8b", 6, List.of());
  }

  private static void addTriton(Config config, Servers servers, InferenceTelemetry telemetry, Workload workload,
      List<AutoCloseable> resources, PrintStream out) {
    // models: the embedded ones, TRITON_MODELS, or every ready model of the repository
    TritonClient.Builder probeBuilder = servers.tritonGrpcTarget() != null
        ? TritonClient.grpc(servers.tritonGrpcTarget()) : TritonClient.http(servers.tritonHttpUrl());
    Map<String, Integer> models = servers.tritonModels();
    if (models.isEmpty()) {
      try (TritonClient probe = probeBuilder.telemetry(InferenceTelemetry.noop()).build()) {
        models = Config.callers(config.tritonModels(probe), config.concurrency());
      }
    }
    if (models.isEmpty()) {
      out.println("quickstart: no Triton model to call (set TRITON_MODELS)");
      return;
    }
    TritonClient.Builder b = servers.tritonGrpcTarget() != null
        ? TritonClient.grpc(servers.tritonGrpcTarget()) : TritonClient.http(servers.tritonHttpUrl());
    TritonClient triton = b.telemetry(telemetry)
        .endpoint("triton")
        .resilience(ResiliencePolicy.none())
        .defaultDeadline(Duration.ofSeconds(10))
        .statisticsPolling(Duration.ofMillis(500), models.keySet().toArray(new String[0]))
        .gpuIds(servers.gpuIds())
        .build();
    resources.add(triton);
    for (Map.Entry<String, Integer> m : models.entrySet()) {
      ModelMetadata meta = triton.modelMetadata(m.getKey());
      InferRequest request = Inputs.randomRequest(meta);
      workload.add(m.getKey(), m.getValue(), () -> triton.infer(request, Deadline.after(Duration.ofSeconds(10))));
    }
  }

  private static void addVllm(Config config, Servers servers, InferenceTelemetry telemetry, Workload workload,
      List<AutoCloseable> resources, PrintStream out) {
    VllmClient vllm = VllmClient.builder(servers.vllmBaseUrl())
        .telemetry(telemetry)
        .endpoint("vllm")
        .apiKey(servers.vllmApiKey())
        .resilience(ResiliencePolicy.none())
        .defaultDeadline(Duration.ofSeconds(60))
        .build();
    resources.add(vllm);
    String model = servers.vllmModel() != null ? servers.vllmModel() : config.vllmModel();
    if (model == null) {
      List<ModelInfo> served = vllm.models();
      if (served.isEmpty()) {
        out.println("quickstart: the vLLM server serves no model");
        return;
      }
      model = served.get(0).id();
    }
    ChatRequest chat = ChatRequest.builder(model)
        .user("In one sentence: why do inference requests wait in a queue?")
        .sampling(SamplingParams.builder().maxTokens(64).build())
        .build();
    workload.add(model, servers.vllmCallers() > 0 ? servers.vllmCallers() : config.concurrency(),
        () -> streamToTheEnd(vllm, chat));
  }

  /** One streamed chat, read to its end. */
  private static void streamToTheEnd(VllmClient client, ChatRequest chat) {
    try (CompletionStream stream = client.chatStream(chat)) {
      while (stream.hasNext()) {
        stream.next();
      }
    }
  }

  /**
   * Runs the stream path hot before the warm-up. At a stream every half second per caller the client's
   * send and read paths run a few hundred times in the warm-up — too few for the JIT to compile them —
   * and a cold path's time lands in the network column. Back-to-back streams against a fast twin of the
   * embedded vLLM simulator (no time to first token, no gaps) compile it in a few seconds; nothing of it
   * is counted ({@code QUICKSTART_STREAM_WARMUP}). Against real servers there is no twin, and a low call
   * rate shows the cold path.
   */
  private static void warmStreamPath(InferenceTelemetry telemetry, Duration duration) {
    try (VllmSimulator twin = VllmSimulator.builder().models("llama-3-8b").timeToFirstToken(Duration.ZERO)
            .interTokenGap(Duration.ZERO).tokensPerResponse(24).maxRunning(64).perRequestMetrics(true).start();
        VllmClient client = VllmClient.builder(twin.baseUri()).telemetry(telemetry).endpoint("vllm")
            .resilience(ResiliencePolicy.none()).build()) {
      ChatRequest chat = ChatRequest.builder("llama-3-8b").user("warm up")
          .sampling(SamplingParams.builder().maxTokens(64).build()).build();
      long end = System.nanoTime() + duration.toNanos();
      while (System.nanoTime() < end) {
        streamToTheEnd(client, chat);
      }
    } catch (RuntimeException e) {
      // best effort: a failed warm-up only leaves the path colder; the measured run reports its own failures
    }
  }

  private static void printGpu(GpuStateSource gpu, PrintStream out) {
    if (gpu.name().equals("none")) {
      out.println("GPU state: no source configured (INFERSCOPE_GPU=nvml | dcgm-exporter=<url> | triton=<url>)");
      return;
    }
    if (!gpu.available()) {
      out.println("GPU state (" + gpu.name() + "): unavailable: " + gpu.unavailableReason());
      return;
    }
    List<GpuSnapshot> all = gpu.latest();
    if (all.isEmpty()) {
      out.println("GPU state (" + gpu.name() + "): no reading yet");
      return;
    }
    out.println("GPU state (" + gpu.name() + "):");
    for (GpuSnapshot s : all) {
      out.printf(Locale.ROOT, "  %-40s util %5s  memory %s / %s  power %s%s%n", s.id(),
          Double.isNaN(s.utilization()) ? "-" : String.format(Locale.ROOT, "%.0f %%", s.utilization() * 100),
          gib(s.memoryUsedBytes()), gib(s.memoryTotalBytes()),
          Double.isNaN(s.powerWatts()) ? "-" : String.format(Locale.ROOT, "%.0f W", s.powerWatts()),
          s.stale() ? "  (stale)" : "");
    }
  }

  private static String gib(long bytes) {
    return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
  }

  /**
   * The servers to call.
   *
   * @param tritonModels models → callers, when known up front (embedded)
   * @param vllmModel the vLLM model, when known up front
   * @param vllmCallers callers of the vLLM model, when known up front (else the configured concurrency)
   */
  record Servers(String tritonGrpcTarget, URI tritonHttpUrl, URI vllmBaseUrl, String vllmApiKey, URI tritonMetrics,
      Map<String, Integer> tritonModels, String vllmModel, int vllmCallers, List<String> gpuIds) {

    static Servers remote(Config c) {
      return new Servers(c.tritonGrpcTarget(), c.tritonHttpUrl(), c.vllmBaseUrl(), c.vllmApiKey(), null, Map.of(),
          null, 0, List.of());
    }

    /** The same servers, running on these GPUs (attached to the Triton calls). */
    Servers withGpuIds(List<String> ids) {
      return new Servers(tritonGrpcTarget, tritonHttpUrl, vllmBaseUrl, vllmApiKey, tritonMetrics, tritonModels,
          vllmModel, vllmCallers, List.copyOf(ids));
    }
  }
}
