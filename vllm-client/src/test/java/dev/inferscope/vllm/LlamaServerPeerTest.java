package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceAttributes;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.Phase;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.PhasePartition;
import dev.inferscope.testkit.Closer;
import dev.inferscope.testkit.Eventually;
import dev.inferscope.testkit.TelemetryCapture;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Against a real llama.cpp {@code llama-server} (Debian sid's build, set up by
 * {@code ../shared/peers/llama/setup.sh}; the work dir is named by {@code INFERSCOPE_LLAMA_WORK}). Two
 * servers on ephemeral 127.0.0.1 ports: one as the peers README starts it, one with {@code --api-key}.
 * Without the variable the class is skipped with a loud line; {@code .ci/run} sets the peer up and
 * says loudly when it could not.
 */
class LlamaServerPeerTest {
  private static final String MODEL = "tiny-llama"; // the alias start.sh gives the model (-a tiny-llama)
  private static final String KEY = "sk-peer-test-key";
  private static final AttributeKey<String> SOURCE = AttributeKey.stringKey("inference.server_timing.source");
  private static Path peers;
  private static Path work;
  private static Path keyedWork;
  private static URI open;
  private static URI keyed;
  @RegisterExtension final Closer closer = new Closer();
  private final TelemetryCapture capture = closer.add(new TelemetryCapture());

  @BeforeAll
  static void startServers() throws Exception {
    String dir = System.getenv("INFERSCOPE_LLAMA_WORK");
    if (dir == null || dir.isBlank() || !Files.isRegularFile(Path.of(dir, "llama.env"))) {
      System.err.println("!!! LlamaServerPeerTest SKIPPED: INFERSCOPE_LLAMA_WORK does not name a work dir set up by "
          + "../shared/peers/llama/setup.sh; the llama-server tests did not run !!!");
      Assumptions.abort("INFERSCOPE_LLAMA_WORK not set up");
    }
    peers = Path.of(System.getProperty("inferscope.peers.dir", "../../shared/peers")).toAbsolutePath().normalize();
    // one server per work dir: each gets its own, sharing the set-up binaries and model through llama.env
    work = ownWorkDir(Path.of(dir), "llama-open");
    keyedWork = ownWorkDir(Path.of(dir), "llama-keyed");
    open = start(work);
    keyed = start(keyedWork, "--api-key", KEY);
  }

  private static Path ownWorkDir(Path setUp, String prefix) throws IOException {
    Path w = Files.createTempDirectory(prefix);
    Files.createDirectories(w.resolve("run"));
    Files.copy(setUp.resolve("llama.env"), w.resolve("llama.env"));
    return w;
  }

  private static URI start(Path w, String... extra) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<String> cmd = new ArrayList<>(List.of("bash", peers.resolve("llama/start.sh").toString(),
        Integer.toString(port)));
    cmd.addAll(List.of(extra));
    run(w, cmd);
    return URI.create("http://127.0.0.1:" + port);
  }

  private static void run(Path w, List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PEERS_WORK", w.toString());
    File log = Files.createTempFile("llama-peer", ".log").toFile();
    pb.redirectOutput(log);
    Process p = pb.start();
    if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(cmd + " failed: " + Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }
  }

  @AfterAll
  static void stopServers() throws Exception {
    for (Path w : new Path[] {work, keyedWork}) {
      if (w != null && peers != null) {
        run(w, List.of("bash", peers.resolve("llama/stop.sh").toString()));
      }
    }
  }

  private VllmClient client(URI uri, java.util.function.Consumer<VllmClient.Builder> custom) throws Exception {
    VllmClient.Builder b = VllmClient.builder(uri).system(InferenceSystem.OPENAI_COMPATIBLE).telemetry(capture.telemetry())
        .resilience(ResiliencePolicy.builder().maxAttempts(2).circuitBreaker(null).build());
    custom.accept(b);
    VllmClient c = b.build();
    closer.add(c);
    Eventually.value(c::roundTripNanos, rtt -> rtt >= 0, Duration.ofSeconds(10));
    return c;
  }

  private static ChatRequest chat(int maxTokens) {
    return ChatRequest.builder(MODEL).user("Tell me about the sea")
        .sampling(SamplingParams.builder().maxTokens(maxTokens).seed(7).build()).build();
  }

  private static SpanData checked(SpanData span) {
    PhasePartition.check(span.getAttributes(), span.getEndEpochNanos() - span.getStartEpochNanos());
    return span;
  }

  private static double phase(SpanData s, Phase p) {
    Double v = s.getAttributes().get(InferenceAttributes.phaseDuration(p));
    return v == null ? Double.NaN : v;
  }

  @Test
  void chatAndCompletionsWithAndWithoutStreamingReadUsageAndTimings() throws Exception {
    VllmClient c = client(open, b -> { });
    Completion answer = c.chat(chat(8));
    assertThat(answer.usage().completionTokens()).isEqualTo(8);
    Completion text = c.complete(CompletionRequest.of(MODEL, "The sea is",
        SamplingParams.builder().maxTokens(8).seed(7).build()));
    assertThat(text.usage().completionTokens()).isEqualTo(8);
    try (CompletionStream st = c.chatStream(chat(8))) {
      assertThat(st.collect().usage().completionTokens()).isEqualTo(8);
    }
    try (CompletionStream st = c.completeStream(CompletionRequest.of(MODEL, "The sea is",
        SamplingParams.builder().maxTokens(8).seed(7).build()))) {
      assertThat(st.collect().usage().completionTokens()).isEqualTo(8);
    }
    List<SpanData> spans = capture.spans();
    assertThat(spans).hasSize(4);
    for (SpanData s : spans) {
      checked(s);
      assertThat(s.getAttributes().get(SOURCE)).as(s.getName()).isEqualTo("response_compute");
      assertThat(phase(s, Phase.SERVER_COMPUTE)).as(s.getName()).isGreaterThan(0);
      assertThat(phase(s, Phase.NETWORK)).as(s.getName()).isGreaterThan(0);
      assertThat(s.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(8L);
      // llama-server is not OpenAI: the provider name does not claim it is
      assertThat(s.getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("openai_compatible");
    }
    // streams: the role chunk, the empty finish chunk and the usage chunk are not output chunks
    assertThat(spans.get(2).getAttributes().get(InferenceAttributes.CHUNKS)).isEqualTo(8L);
    assertThat(spans.get(3).getAttributes().get(InferenceAttributes.CHUNKS)).isEqualTo(8L);
  }

  @Test
  void sixteenStreamsOnFourSlotsShowAnEstimatedQueueAndANetworkNearTheRoundTrip() throws Exception {
    VllmClient c = client(open, b -> { });
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      for (int round = 0; round < 2; round++) { // round 0 opens the 16 connections and is not counted
        capture.reset();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Completion>> fs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          fs.add(pool.submit(() -> {
            go.await();
            try (CompletionStream st = c.chatStream(chat(200))) {
              return st.collect();
            }
          }));
        }
        go.countDown();
        for (Future<Completion> f : fs) {
          f.get(120, TimeUnit.SECONDS);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    List<SpanData> spans = capture.spans();
    assertThat(spans).hasSize(16);
    List<Double> queue = new ArrayList<>();
    List<Double> network = new ArrayList<>();
    for (SpanData s : spans) {
      checked(s);
      assertThat(s.getAttributes().get(SOURCE)).isEqualTo("response_compute");
      queue.add(phase(s, Phase.SERVER_QUEUE) * 1e3);
      network.add(phase(s, Phase.NETWORK) * 1e3);
    }
    Collections.sort(queue);
    Collections.sort(network);
    System.out.printf("llama-server, 16 streams on 4 slots: server_queue (estimated) p50 %.1f ms max %.1f ms; "
        + "network p50 %.2f ms max %.2f ms; round trip %.2f ms%n", queue.get(8), queue.get(15), network.get(8),
        network.get(15), c.roundTripNanos() / 1e6);
    assertThat(queue.get(15)).as("12 of 16 waited for a slot").isGreaterThan(1.0);
    assertThat(network.get(8)).as("network p50 near the loopback round trip")
        .isLessThan(c.roundTripNanos() / 1e6 + 20);
  }

  @Test
  void aServerWithAnApiKeyAnswers401AsUnauthenticated() throws Exception {
    VllmClient noKey = client(keyed, b -> { });
    InferenceException e = catchThrowableOfType(InferenceException.class, () -> noKey.chat(chat(4)));
    assertThat(e.errorType()).isEqualTo(ErrorType.UNAUTHENTICATED);
    assertThat(e.attempts()).isEqualTo(1);
    VllmClient withKey = client(keyed, b -> b.apiKey(KEY));
    assertThat(withKey.chat(chat(4)).usage().completionTokens()).isEqualTo(4);
    assertThat(capture.everythingRecorded()).doesNotContain(KEY);
  }

  @Test
  void aBadStreamingRequestFailsWith400BeforeAnySse() throws Exception {
    VllmClient c = client(open, b -> { });
    ChatRequest bad = ChatRequest.builder(MODEL).user("hi")
        .sampling(SamplingParams.builder().maxTokens(4).extra("top_k", "many").build()).build(); // a wrong type: 400
    InferenceException e = catchThrowableOfType(InferenceException.class, () -> c.chatStream(bad));
    assertThat(e.errorType()).isEqualTo(ErrorType.INVALID_ARGUMENT);
    assertThat(e.serverCode()).isEqualTo("400");
    assertThat(capture.spans()).hasSize(1);
  }

  @Test
  void metricsAreReadThroughTheLlamacppNames() throws Exception {
    VllmClient c = client(open, b -> b.scrapeMetrics(Duration.ofHours(1)).metricsModel(MODEL));
    VllmServerMetrics.Load load = c.serverMetrics().refresh().get(MODEL);
    assertThat(load).isNotNull();
    assertThat(load.waiting()).isGreaterThanOrEqualTo(0);
    assertThat(load.running()).isGreaterThanOrEqualTo(0);
    assertThat(c.serverMetrics().stale()).isFalse();
  }

  /** llama.cpp reads "content" and answers "content": the client round-trips text and learns the field. */
  @Test
  void tokenizeAndDetokenizeRoundTripAndTheModelReportsItsContextLength() throws Exception {
    VllmClient c = client(open, b -> { });
    List<Long> tokens = c.tokenize(MODEL, "hello world");
    assertThat(tokens).isNotEmpty();
    assertThat(c.tokenize(MODEL, "hello world")).isEqualTo(tokens);
    assertThat(c.detokenize(MODEL, tokens)).contains("hello").contains("world");
    // -c 4096 -np 4: 1,024 tokens per slot, reported as meta.n_ctx
    assertThat(c.models()).singleElement().satisfies(m -> {
      assertThat(m.id()).isEqualTo(MODEL);
      assertThat(m.maxModelLen()).isEqualTo(1024);
    });
    // the first tokenize asked twice ("prompt", then "content"), the second once, detokenize once
    assertThat(capture.spans()).extracting(SpanData::getName)
        .containsExactly("tokenize " + MODEL, "tokenize " + MODEL, "tokenize " + MODEL, "detokenize " + MODEL);
  }

  /**
   * Structured output on b11669: on chat, a {@code response_format} JSON schema is refused with 400 ("Failed to
   * initialize samplers": the server puts its generation prompt into the grammar's root and cannot start the
   * sampler), which must reach the caller as a typed INVALID_ARGUMENT with the server's message, not as an
   * unconstrained answer; on text completions llama.cpp constrains by its own {@code json_schema} field
   * (ggml-org/llama.cpp tools/server/README.md), and even the tiny model then answers JSON that matches.
   */
  @Test
  void aJsonSchemaIsEnforcedOnCompletionsOrRefusedWithATypedErrorOnChat() throws Exception {
    VllmClient c = client(open, b -> b.resilience(ResiliencePolicy.none()));
    java.util.Map<String, Object> schema = java.util.Map.of("type", "object",
        "properties", java.util.Map.of("a", java.util.Map.of("type", "integer")), "required", List.of("a"));
    ChatRequest json = ChatRequest.builder(MODEL).user("a number please")
        .responseFormat(ResponseFormat.jsonSchema("number", schema))
        .sampling(SamplingParams.builder().maxTokens(30).build()).build();
    try {
      Completion answer = c.chat(json);
      java.util.Map<String, Object> parsed = dev.inferscope.core.internal.Json.parseObject(answer.text(), "answer");
      assertThat(parsed.get("a")).isInstanceOf(Number.class); // a build that constrains chat
    } catch (InferenceException e) {
      assertThat(e.errorType()).isEqualTo(ErrorType.INVALID_ARGUMENT);
      assertThat(e.serverCode()).isEqualTo("400");
      assertThat(e.serverMessage()).contains("sampler");
    }
    Completion constrained = c.complete(CompletionRequest.of(MODEL, "a number please",
        SamplingParams.builder().maxTokens(40).extra("json_schema", schema).build()));
    java.util.Map<String, Object> parsed = dev.inferscope.core.internal.Json.parseObject(constrained.text(), "answer");
    assertThat(parsed).containsKey("a");
    assertThat(parsed.get("a")).isInstanceOf(Number.class);
    assertThat(capture.spans()).filteredOn(s -> s.getName().startsWith("chat"))
        .allSatisfy(s -> assertThat(s.getAttributes().get(InferenceAttributes.GEN_AI_OUTPUT_TYPE)).isEqualTo("json"));
  }

  @Test
  void severalChoicesAndLogProbabilitiesFromTheRealServer() throws Exception {
    VllmClient c = client(open, b -> { });
    SamplingParams p = SamplingParams.builder().maxTokens(4).n(2).logprobs(2).seed(3).build();
    Completion chat = c.chat(ChatRequest.builder(MODEL).user("Tell me about the sea").sampling(p).build());
    assertThat(chat.choices()).hasSize(2).extracting(Choice::index).containsExactly(0, 1);
    for (Choice ch : chat.choices()) {
      assertThat(ch.logprobs()).isNotEmpty().allSatisfy(t -> {
        assertThat(t.logprob()).isLessThanOrEqualTo(0);
        assertThat(t.top()).hasSize(2);
      });
    }
    Completion streamed = c.chatStream(ChatRequest.builder(MODEL).user("Tell me about the sea").sampling(p).build())
        .collect();
    assertThat(streamed.choices()).hasSize(2);
    assertThat(streamed.choices().get(0).logprobs()).isNotEmpty();
    Completion text = c.complete(CompletionRequest.of(MODEL, "The sea is", SamplingParams.builder().maxTokens(3)
        .logprobs(2).build()));
    assertThat(text.choices().get(0).logprobs()).isNotEmpty();
    assertThat(text.choices().get(0).logprobs().get(0).top()).hasSize(2);
    assertThat(capture.spans().get(0).getAttributes().get(InferenceAttributes.RESPONSE_CHOICES)).isEqualTo(2L);
    assertThat(capture.spans().get(0).getAttributes().get(InferenceAttributes.GEN_AI_REQUEST_CHOICE_COUNT)).isEqualTo(2L);
    // llama-server reports prompt-cache hits: the span carries them
    assertThat(capture.spans()).anySatisfy(s -> assertThat(
        s.getAttributes().get(InferenceAttributes.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)).isNotNull());
  }

  /**
   * Tools on b11669 (its chat templates run through jinja by default): a request with a tool, and the history
   * of a tool loop (an assistant tool call and the tool's result), is accepted; the tiny model answers in
   * text, so the span counts the tool offered and no call.
   */
  @Test
  void aToolsRequestAndAToolLoopHistoryAreAcceptedByTheRealServer() throws Exception {
    VllmClient c = client(open, b -> b.resilience(ResiliencePolicy.none()));
    Tool weather = Tool.function("get_weather", "weather", java.util.Map.of("type", "object",
        "properties", java.util.Map.of("city", java.util.Map.of("type", "string"))));
    Completion first = c.chat(ChatRequest.builder(MODEL).user("weather in Lisbon?").tool(weather)
        .sampling(SamplingParams.builder().maxTokens(5).build()).build());
    assertThat(first.choices()).hasSize(1);
    Completion loop = c.chat(ChatRequest.builder(MODEL).user("weather in Lisbon?").tool(weather)
        .message(ChatMessage.assistantToolCalls(List.of(ToolCall.of("call-1", "get_weather", "{\"city\":\"Lisbon\"}"))))
        .message(ChatMessage.tool("call-1", "sunny"))
        .sampling(SamplingParams.builder().maxTokens(5).build()).build());
    assertThat(loop.usage().promptTokens()).isGreaterThan(first.usage().promptTokens());
    assertThat(capture.spans()).allSatisfy(s -> {
      assertThat(s.getAttributes().get(InferenceAttributes.REQUEST_TOOLS)).isEqualTo(1L);
      assertThat(s.getAttributes().get(InferenceAttributes.RESPONSE_TOOL_CALLS)).isNotNull();
    });
  }

  /** The Responses API on the real server: sync and streamed, with the event sequence and its timings. */
  @Test
  void theResponsesApiAgainstTheRealServer() throws Exception {
    VllmClient c = client(open, b -> { });
    ResponsesRequest r = ResponsesRequest.builder(MODEL).input("Tell me about the sea").maxOutputTokens(6).seed(7)
        .temperature(0).build();
    ResponseResult sync = c.responses(r);
    assertThat(sync.id()).startsWith("resp_");
    assertThat(sync.status()).isEqualTo("completed");
    assertThat(sync.usage().completionTokens()).isBetween(1L, 6L);
    List<ResponseEvent.Kind> kinds = new ArrayList<>();
    ResponseResult streamed;
    try (ResponseStream st = c.responsesStream(r)) {
      st.forEachRemaining(e -> kinds.add(e.kind()));
      streamed = st.result();
      assertThat(st.chunks()).isEqualTo(kinds.stream().filter(k -> k == ResponseEvent.Kind.OUTPUT_TEXT_DELTA).count());
    }
    assertThat(kinds.get(0)).isEqualTo(ResponseEvent.Kind.CREATED);
    assertThat(kinds.get(kinds.size() - 1)).isEqualTo(ResponseEvent.Kind.COMPLETED);
    assertThat(streamed.usage().completionTokens()).isPositive();
    List<SpanData> spans = capture.spans();
    assertThat(spans).hasSize(2);
    checked(spans.get(0));
    SpanData stream = checked(spans.get(1));
    // llama-server puts timings on the completed event only
    assertThat(stream.getAttributes().get(SOURCE)).isEqualTo("response_compute");
    assertThat(phase(stream, Phase.SERVER_COMPUTE)).isGreaterThan(0);
  }
}
