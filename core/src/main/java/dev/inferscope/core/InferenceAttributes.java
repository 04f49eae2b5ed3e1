package dev.inferscope.core;

import io.opentelemetry.api.common.AttributeKey;
import java.util.EnumMap;
import java.util.List;

/**
 * The span attribute keys of Inferscope's telemetry contract. The GenAI, RPC, HTTP, server and hardware
 * keys are copies of the OpenTelemetry semantic conventions (the incubating semconv artifact is not meant
 * for libraries).
 */
public final class InferenceAttributes {
  private InferenceAttributes() {}

  public static final AttributeKey<String> INFERENCE_SYSTEM = AttributeKey.stringKey("inference.system");
  public static final AttributeKey<String> MODEL_NAME = AttributeKey.stringKey("inference.model.name");
  public static final AttributeKey<String> MODEL_VERSION = AttributeKey.stringKey("inference.model.version");
  public static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("inference.request.id");
  public static final AttributeKey<String> ENDPOINT = AttributeKey.stringKey("inference.endpoint");
  public static final AttributeKey<String> SERVER_TIMING_SOURCE =
      AttributeKey.stringKey("inference.server_timing.source");
  public static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("inference.attempts");
  public static final AttributeKey<Long> CHUNKS = AttributeKey.longKey("inference.chunks");
  public static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("inference.batch.size");
  public static final AttributeKey<Long> REQUEST_SIZE = AttributeKey.longKey("inference.request.size");
  public static final AttributeKey<Long> RESPONSE_SIZE = AttributeKey.longKey("inference.response.size");
  /** The server's own time to first token for this request (vLLM: from scheduling), seconds. */
  public static final AttributeKey<Double> SERVER_TIME_TO_FIRST_TOKEN =
      AttributeKey.doubleKey("inference.server.time_to_first_token");
  /** The server's own mean inter-token latency for this request (vLLM {@code mean_itl_ms}), seconds. */
  public static final AttributeKey<Double> SERVER_MEAN_INTER_TOKEN_LATENCY =
      AttributeKey.doubleKey("inference.server.mean_inter_token_latency");
  public static final AttributeKey<String> PHASE_NAME = AttributeKey.stringKey("inference.phase.name");
  public static final AttributeKey<Double> PHASE_DURATION = AttributeKey.doubleKey("inference.phase.duration");
  public static final AttributeKey<Boolean> PHASE_ESTIMATED = AttributeKey.booleanKey("inference.phase.estimated");
  /**
   * The phases of this span whose durations are estimates (for example {@code server_queue} and
   * {@code network} under {@code statistics} timing), so that a reader can tell measured from derived
   * without the per-phase span events.
   */
  public static final AttributeKey<List<String>> PHASES_ESTIMATED =
      AttributeKey.stringArrayKey("inference.phases.estimated");
  public static final AttributeKey<String> EXPERIMENT = AttributeKey.stringKey("inference.experiment");
  public static final AttributeKey<String> VARIANT = AttributeKey.stringKey("inference.variant");

  public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  public static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
  public static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");

  public static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  public static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  public static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  public static final AttributeKey<Long> RPC_GRPC_STATUS_CODE = AttributeKey.longKey("rpc.grpc.status_code");
  /** The current RPC names (semantic-conventions v1.44.0); which set is written: {@link SemconvMode}. */
  public static final AttributeKey<String> RPC_SYSTEM_NAME = AttributeKey.stringKey("rpc.system.name");
  public static final AttributeKey<String> RPC_RESPONSE_STATUS_CODE = AttributeKey.stringKey("rpc.response.status_code");
  public static final AttributeKey<String> HTTP_REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
  public static final AttributeKey<Long> HTTP_RESPONSE_STATUS_CODE =
      AttributeKey.longKey("http.response.status_code");
  public static final AttributeKey<String> URL_FULL = AttributeKey.stringKey("url.full");

  public static final AttributeKey<String> GEN_AI_OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
  public static final AttributeKey<String> GEN_AI_PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
  public static final AttributeKey<String> GEN_AI_REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  public static final AttributeKey<String> GEN_AI_RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
  public static final AttributeKey<Long> GEN_AI_REQUEST_MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
  public static final AttributeKey<Double> GEN_AI_REQUEST_TEMPERATURE =
      AttributeKey.doubleKey("gen_ai.request.temperature");
  public static final AttributeKey<Double> GEN_AI_REQUEST_TOP_P = AttributeKey.doubleKey("gen_ai.request.top_p");
  public static final AttributeKey<String> GEN_AI_RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
  public static final AttributeKey<List<String>> GEN_AI_RESPONSE_FINISH_REASONS =
      AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
  public static final AttributeKey<Long> GEN_AI_USAGE_INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
  public static final AttributeKey<Long> GEN_AI_USAGE_OUTPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.output_tokens");
  public static final AttributeKey<Double> GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK =
      AttributeKey.doubleKey("gen_ai.response.time_to_first_chunk");

  public static final AttributeKey<String> HW_GPU_ID = AttributeKey.stringKey("hw.gpu.id");
  /** The GPU's id under the current hardware names ({@code hw.id}, semantic-conventions v1.44.0). */
  public static final AttributeKey<String> HW_ID = AttributeKey.stringKey("hw.id");
  public static final AttributeKey<Double> HW_GPU_UTILIZATION = AttributeKey.doubleKey("hw.gpu.utilization");
  public static final AttributeKey<Long> HW_GPU_MEMORY_USAGE = AttributeKey.longKey("hw.gpu.memory.usage");
  public static final AttributeKey<Long> HW_GPU_MEMORY_LIMIT = AttributeKey.longKey("hw.gpu.memory.limit");
  public static final AttributeKey<Double> HW_GPU_SAMPLE_AGE = AttributeKey.doubleKey("hw.gpu.sample.age");

  private static final EnumMap<Phase, AttributeKey<Double>> PHASE_KEYS = new EnumMap<>(Phase.class);

  static {
    for (Phase p : Phase.values()) {
      PHASE_KEYS.put(p, AttributeKey.doubleKey("inference.phase." + p.key() + ".duration"));
    }
  }

  /** {@code inference.phase.<phase>.duration}, in seconds. */
  public static AttributeKey<Double> phaseDuration(Phase phase) {
    return PHASE_KEYS.get(phase);
  }

  // GenAI request and usage details (open-telemetry/semantic-conventions-genai model/gen-ai/registry.yaml,
  // commit 002c8a6): set only where the request or the server's usage gives them.
  /** {@code n}, when the request asks for more than the server's default. */
  public static final AttributeKey<Long> GEN_AI_REQUEST_CHOICE_COUNT = AttributeKey.longKey("gen_ai.request.choice.count");
  public static final AttributeKey<Long> GEN_AI_REQUEST_SEED = AttributeKey.longKey("gen_ai.request.seed");
  /** {@code json} when the request constrains the output to JSON (response_format or structured outputs). */
  public static final AttributeKey<String> GEN_AI_OUTPUT_TYPE = AttributeKey.stringKey("gen_ai.output.type");
  /** Prompt tokens served from the server's prefix cache ({@code prompt_tokens_details.cached_tokens}). */
  public static final AttributeKey<Long> GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens");
  /** Output tokens spent on reasoning ({@code completion_tokens_details.reasoning_tokens}). */
  public static final AttributeKey<Long> GEN_AI_USAGE_REASONING_OUTPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.reasoning.output_tokens");

  // Counts about a request and its answer that are not content (Inferscope's own names).
  /** The number of tools the request offered the model. */
  public static final AttributeKey<Long> REQUEST_TOOLS = AttributeKey.longKey("inference.request.tools");
  /** The number of image, audio and file parts in the request's messages. */
  public static final AttributeKey<Long> REQUEST_MEDIA_PARTS = AttributeKey.longKey("inference.request.media_parts");
  /** Request fields the server no longer reads (vLLM 0.12 removed {@code guided_*}), by name. */
  public static final AttributeKey<List<String>> REQUEST_REMOVED_PARAMS =
      AttributeKey.stringArrayKey("inference.request.removed_params");
  /** The number of tool calls the model made, over all choices. */
  public static final AttributeKey<Long> RESPONSE_TOOL_CALLS = AttributeKey.longKey("inference.response.tool_calls");
  /** The number of choices in the answer, when more than one. */
  public static final AttributeKey<Long> RESPONSE_CHOICES = AttributeKey.longKey("inference.response.choices");
  /** The number of results of a rerank, score, classify or pooling call. */
  public static final AttributeKey<Long> RESPONSE_RESULTS = AttributeKey.longKey("inference.response.results");
}
