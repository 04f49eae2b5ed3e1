package dev.inferscope.examples.quickstart;

import dev.inferscope.triton.TritonClient;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quickstart's settings, from environment variables. Without any of {@code TRITON_GRPC_TARGET},
 * {@code TRITON_HTTP_URL} and {@code VLLM_BASE_URL} it runs on the embedded simulators.
 *
 * <table>
 *   <caption>Environment variables</caption>
 *   <tr><td>{@code TRITON_GRPC_TARGET}</td><td>a Triton gRPC target, {@code host:port}</td></tr>
 *   <tr><td>{@code TRITON_HTTP_URL}</td><td>a Triton HTTP URL (used when no gRPC target is set)</td></tr>
 *   <tr><td>{@code TRITON_MODELS}</td><td>comma-separated models to call (default: every ready model)</td></tr>
 *   <tr><td>{@code VLLM_BASE_URL}</td><td>a vLLM (OpenAI-compatible) base URL</td></tr>
 *   <tr><td>{@code VLLM_API_KEY}</td><td>its API key, if any</td></tr>
 *   <tr><td>{@code VLLM_MODEL}</td><td>the model to chat with (default: the first served)</td></tr>
 *   <tr><td>{@code QUICKSTART_SECONDS}</td><td>workload duration, 1..120 (default 12)</td></tr>
 *   <tr><td>{@code QUICKSTART_WARMUP_MAX}</td><td>longest warm-up in seconds, 2..60 (default 20); it ends
 *   sooner once the JIT has settled</td></tr>
 *   <tr><td>{@code QUICKSTART_STREAM_WARMUP}</td><td>embedded run: seconds of back-to-back streams against a
 *   fast twin of the vLLM simulator before the warm-up, so that the stream path is compiled, 0..60 (default 5;
 *   0: none)</td></tr>
 *   <tr><td>{@code QUICKSTART_CONCURRENCY}</td><td>callers per model against real servers (default 4)</td></tr>
 *   <tr><td>{@code INFERSCOPE_GPU}</td><td>{@code nvml}, {@code dcgm-exporter=<url>} or {@code triton=<url>}</td></tr>
 *   <tr><td>{@code QUICKSTART_LOG}</td><td>{@code true} to print the sampled JSON request log lines</td></tr>
 * </table>
 */
record Config(
    String tritonGrpcTarget,
    URI tritonHttpUrl,
    List<String> tritonModelList,
    URI vllmBaseUrl,
    String vllmApiKey,
    String vllmModel,
    int seconds,
    int warmUpMaxSeconds,
    int streamWarmUpSeconds,
    int concurrency,
    String gpu,
    boolean logRequests) {

  static Config from(Map<String, String> env) {
    String grpc = blankToNull(env.get("TRITON_GRPC_TARGET"));
    URI http = uri(env, "TRITON_HTTP_URL");
    URI vllm = uri(env, "VLLM_BASE_URL");
    List<String> models = new ArrayList<>();
    String list = blankToNull(env.get("TRITON_MODELS"));
    if (list != null) {
      for (String m : list.split(",")) {
        if (!m.isBlank()) {
          models.add(m.trim());
        }
      }
    }
    return new Config(grpc, http, List.copyOf(models), vllm, blankToNull(env.get("VLLM_API_KEY")),
        blankToNull(env.get("VLLM_MODEL")), integer(env, "QUICKSTART_SECONDS", 12, 1, 120),
        integer(env, "QUICKSTART_WARMUP_MAX", 20, 2, 60), integer(env, "QUICKSTART_STREAM_WARMUP", 5, 0, 60),
        integer(env, "QUICKSTART_CONCURRENCY", 4, 1, 256), blankToNull(env.get("INFERSCOPE_GPU")),
        "true".equalsIgnoreCase(env.get("QUICKSTART_LOG")));
  }

  /** Whether to start the embedded simulators (no real server configured). */
  boolean embedded() {
    return tritonGrpcTarget == null && tritonHttpUrl == null && vllmBaseUrl == null;
  }

  /** TRITON_MODELS, or every ready model of the server's repository. */
  List<String> tritonModels(TritonClient probe) {
    if (!tritonModelList.isEmpty()) {
      return tritonModelList;
    }
    List<String> ready = new ArrayList<>();
    probe.repositoryIndex().forEach(m -> {
      if ("READY".equals(m.state()) && !ready.contains(m.name())) {
        ready.add(m.name());
      }
    });
    return ready;
  }

  static Map<String, Integer> callers(List<String> models, int each) {
    Map<String, Integer> out = new LinkedHashMap<>();
    models.forEach(m -> out.put(m, each));
    return out;
  }

  @Override
  public String toString() {
    return "Config[triton=" + (tritonGrpcTarget != null ? tritonGrpcTarget : tritonHttpUrl) + ", vllm=" + vllmBaseUrl
        + ", vllmApiKey=" + (vllmApiKey == null ? "none" : "<redacted>") + ", seconds=" + seconds + "]";
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static URI uri(Map<String, String> env, String name) {
    String v = blankToNull(env.get(name));
    if (v == null) {
      return null;
    }
    try {
      URI u = URI.create(v);
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
        throw new IllegalArgumentException(name + " must be an http(s) URL");
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + " is not a valid http(s) URL");
    }
  }

  private static int integer(Map<String, String> env, String name, int dflt, int min, int max) {
    String v = blankToNull(env.get(name));
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw new IllegalArgumentException(name + " must be within " + min + ".." + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number");
    }
  }
}
