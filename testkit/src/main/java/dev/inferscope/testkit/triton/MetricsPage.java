package dev.inferscope.testkit.triton;

import java.util.Collection;

/** The simulator's {@code /metrics} page, as Triton's metrics endpoint (port 8002) writes it. */
final class MetricsPage {
  private MetricsPage() {}

  /**
   * Triton's {@code /metrics} text. Names, HELP strings, labels and types as Triton 2.x writes them:
   * triton-inference-server/core {@code src/metrics.cc} @00a1eef (counter families and GPU gauges) and the
   * sample output in triton-inference-server/tensorrtllm_backend {@code README.md} ("Triton Metrics":
   * {@code nv_inference_pending_request_count}, {@code nv_trt_llm_*}). The {@code waiting} request type is
   * the one added in tensorrtllm_backend {@code all_models/inflight_batcher_llm/tensorrt_llm/1/model.py}
   * @ac885a1 ({@code num_waiting_requests}).
   */
  static String render(Collection<ModelState> models, double gpuUtilization) {
    StringBuilder sb = new StringBuilder();
    String[][] counters = {
        {"nv_inference_request_success", "Number of successful inference requests, all batch sizes"},
        {"nv_inference_request_failure", "Number of failed inference requests, all batch sizes"},
        {"nv_inference_count", "Number of inferences performed (does not include cached requests)"},
        {"nv_inference_exec_count", "Number of model executions performed (does not include cached requests)"},
        {"nv_inference_request_duration_us", "Cumulative inference request duration in microseconds (includes cached requests)"},
        {"nv_inference_queue_duration_us", "Cumulative inference queuing duration in microseconds (includes cached requests)"},
        {"nv_inference_compute_input_duration_us", "Cumulative compute input duration in microseconds (does not include cached requests)"},
        {"nv_inference_compute_infer_duration_us", "Cumulative compute inference duration in microseconds (does not include cached requests)"},
        {"nv_inference_compute_output_duration_us", "Cumulative inference compute output duration in microseconds (does not include cached requests)"}};
    for (String[] c : counters) {
      sb.append("# HELP ").append(c[0]).append(' ').append(c[1]).append('\n');
      sb.append("# TYPE ").append(c[0]).append(" counter\n");
      for (ModelState s : models) {
        long v = switch (c[0]) {
          case "nv_inference_request_success" -> s.served.get();
          case "nv_inference_request_failure" -> s.rejected.get() + s.timedOut.get() + s.cancelledInQueue.get();
          case "nv_inference_count" -> s.inferences.get();
          case "nv_inference_exec_count" -> s.executions.get();
          case "nv_inference_request_duration_us" -> s.successNanos.get() / 1000;
          case "nv_inference_queue_duration_us" -> s.queueNanos.get() / 1000;
          case "nv_inference_compute_infer_duration_us" -> s.computeNanos.get() / 1000;
          default -> 0;
        };
        sb.append(c[0]).append("{model=\"").append(s.model.name()).append("\",version=\"").append(s.model.version())
            .append("\"} ").append(v).append('\n');
      }
    }
    sb.append("# HELP nv_inference_pending_request_count Instantaneous number of pending requests awaiting execution per-model.\n");
    sb.append("# TYPE nv_inference_pending_request_count gauge\n");
    for (ModelState s : models) {
      sb.append("nv_inference_pending_request_count{model=\"").append(s.model.name()).append("\",version=\"")
          .append(s.model.version()).append("\"} ").append(s.model.trtLlmMetrics() ? 0 : s.waiting.get()).append('\n');
    }
    boolean trtLlm = models.stream().anyMatch(s -> s.model.trtLlmMetrics());
    if (trtLlm) {
      sb.append("# HELP nv_trt_llm_request_metrics TRT LLM request metrics\n");
      sb.append("# TYPE nv_trt_llm_request_metrics gauge\n");
      for (ModelState s : models) {
        if (!s.model.trtLlmMetrics()) {
          continue;
        }
        int running = s.model.instances() - s.instances.availablePermits();
        long[] values = {running, s.model.instances(), running, 0, s.waiting.get()};
        String[] types = {"active", "max", "scheduled", "context", "waiting"};
        for (int i = 0; i < types.length; i++) {
          sb.append("nv_trt_llm_request_metrics{model=\"").append(s.model.name()).append("\",request_type=\"")
              .append(types[i]).append("\",version=\"").append(s.model.version()).append("\"} ").append(values[i])
              .append('\n');
        }
      }
    }
    String uuid = "GPU-00000000-1111-2222-3333-444455556666";
    String[][] gauges = {
        {"nv_gpu_utilization", "GPU utilization rate [0.0 - 1.0)", Double.toString(gpuUtilization)},
        {"nv_gpu_memory_total_bytes", "GPU total memory, in bytes", "85899345920"},
        {"nv_gpu_memory_used_bytes", "GPU used memory, in bytes", "42949672960"},
        {"nv_gpu_power_usage", "GPU power usage in watts", "250.5"},
        {"nv_gpu_power_limit", "GPU power management limit in watts", "700"}};
    for (String[] g : gauges) {
      sb.append("# HELP ").append(g[0]).append(' ').append(g[1]).append('\n');
      sb.append("# TYPE ").append(g[0]).append(" gauge\n");
      sb.append(g[0]).append("{gpu_uuid=\"").append(uuid).append("\"} ").append(g[2]).append('\n');
    }
    return sb.toString();
  }
}
