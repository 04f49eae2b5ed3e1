package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferscope.core.InferenceAttributes;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.core.internal.Json;
import dev.inferscope.testkit.Closer;
import dev.inferscope.testkit.Eventually;
import dev.inferscope.testkit.TelemetryCapture;
import dev.inferscope.testkit.vllm.VllmSimulator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tools, reasoning, several choices, log probabilities, structured outputs, request ids and the
 * pooling-model endpoints, on the simulator, over the call paths that carry them (sync, async, iterator,
 * publisher), with the span counting what is not content. Public API only.
 */
class VllmApiSurfaceTest {
  private static final Map<String, Object> WEATHER = Map.of("type", "object",
      "properties", Map.of("city", Map.of("type", "string"), "days", Map.of("type", "integer")),
      "required", List.of("city"));
  private static final Tool GET_WEATHER = Tool.function("get_weather", "The weather in a city", WEATHER);
  private static final Tool GET_TIME = Tool.function("get_time", "The local time",
      Map.of("type", "object", "properties", Map.of("zone", Map.of("type", "string"))));

  @RegisterExtension final Closer closer = new Closer();
  private final TelemetryCapture capture = closer.add(new TelemetryCapture());

  private VllmClient client(Consumer<VllmSimulator.Builder> sim) {
    VllmSimulator.Builder b = VllmSimulator.builder().tokensPerResponse(4).timeToFirstToken(Duration.ofMillis(2))
        .interTokenGap(Duration.ZERO);
    sim.accept(b);
    VllmSimulator s = closer.add(b.start());
    lastSim = s;
    return closer.add(VllmClient.builder(s.baseUri()).resilience(ResiliencePolicy.none())
        .roundTripProbeInterval(Duration.ZERO).telemetry(capture.telemetry()).build());
  }

  private VllmSimulator lastSim;

  private static ChatRequest.Builder weather() {
    return ChatRequest.builder("sim-llm").user("What is the weather in Lisbon?").tool(GET_WEATHER);
  }

  private SpanData onlySpan() throws Exception {
    Eventually.value(() -> capture.spans().size(), n -> n == 1, Duration.ofSeconds(5));
    return capture.spans().get(0);
  }

  private static <T> T attr(SpanData s, AttributeKey<T> key) {
    return s.getAttributes().get(key);
  }

  /** A stream read through the publisher, joined by a StreamAccumulator as a subscriber would. */
  private static Completion viaPublisher(VllmClient c, ChatRequest r) throws Exception {
    StreamAccumulator acc = new StreamAccumulator();
    VllmCallPathContractTest.subscribe(c.chatPublisher(r)).forEach(acc::accept);
    return acc.completion();
  }

  @Test
  void aToolCallArrivesTypedAndCompleteOnEveryPath() throws Exception {
    VllmClient c = client(b -> { });
    ChatRequest r = weather().build();
    Completion sync = c.chat(r);
    assertThat(sync.finishReasons()).containsExactly("tool_calls");
    assertThat(sync.toolCalls()).hasSize(1);
    ToolCall call = sync.toolCalls().get(0);
    assertThat(call.name()).isEqualTo("get_weather");
    assertThat(call.id()).startsWith("chatcmpl-tool-");
    Map<String, Object> args = Json.parseObject(call.arguments(), "arguments");
    assertThat(args).containsKeys("city", "days");
    SpanData span = onlySpan();
    assertThat(attr(span, InferenceAttributes.REQUEST_TOOLS)).isEqualTo(1L);
    assertThat(attr(span, InferenceAttributes.RESPONSE_TOOL_CALLS)).isEqualTo(1L);

    Completion async = c.chatAsync(r).get(10, TimeUnit.SECONDS);
    Completion streamed;
    try (CompletionStream st = c.chatStream(r)) {
      streamed = st.collect();
      // every argument fragment is output: the chunks counted are the tool call's opening and its pieces
      assertThat(st.chunks()).isGreaterThan(2);
    }
    Completion published = viaPublisher(c, r);
    for (Completion other : List.of(async, streamed, published)) {
      assertThat(other.toolCalls()).as("same call on every path").hasSize(1);
      ToolCall t = other.toolCalls().get(0);
      assertThat(t.name()).isEqualTo("get_weather");
      assertThat(Json.parseObject(t.arguments(), "arguments")).isEqualTo(args);
      assertThat(other.finishReasons()).containsExactly("tool_calls");
    }
    Eventually.value(() -> capture.spans().size(), n -> n == 4, Duration.ofSeconds(5));
    for (SpanData s : capture.spans()) {
      assertThat(attr(s, InferenceAttributes.RESPONSE_TOOL_CALLS)).as(s.getName()).isEqualTo(1L);
    }
  }

  @Test
  void parallelCallsStreamedInFragmentsAreAssembledByIndex() throws Exception {
    VllmClient c = client(b -> { });
    ChatRequest r = weather().tool(GET_TIME).toolChoice(ToolChoice.required()).build();
    Completion whole = c.chat(r);
    Completion streamed = c.chatStream(r).collect();
    assertThat(whole.toolCalls()).extracting(ToolCall::name).containsExactly("get_weather", "get_time");
    assertThat(streamed.toolCalls()).extracting(ToolCall::name).containsExactly("get_weather", "get_time");
    for (int i = 0; i < 2; i++) {
      assertThat(streamed.toolCalls().get(i).arguments()).isEqualTo(whole.toolCalls().get(i).arguments());
      assertThat(streamed.toolCalls().get(i).index()).isEqualTo(i);
    }
    assertThat(Json.parseObject(streamed.toolCalls().get(1).arguments(), "arguments")).containsKey("zone");

    // a named function is the one called; parallel off calls one
    Completion named = c.chat(weather().tool(GET_TIME).toolChoice(ToolChoice.function("get_time")).build());
    assertThat(named.toolCalls()).extracting(ToolCall::name).containsExactly("get_time");
    Completion single = c.chat(weather().tool(GET_TIME).toolChoice(ToolChoice.required()).parallelToolCalls(false)
        .build());
    assertThat(single.toolCalls()).hasSize(1);
  }

  @Test
  void aToolLoopSendsTheCallAndItsResultBackAndGetsAnAnswer() throws Exception {
    VllmClient c = client(b -> { });
    Completion first = c.chat(weather().build());
    ToolCall call = first.toolCalls().get(0);
    Completion answer = c.chat(weather()
        .message(ChatMessage.assistantToolCalls(first.toolCalls()))
        .message(ChatMessage.tool(call.id(), "{\"forecast\":\"sun\"}"))
        .build());
    assertThat(answer.toolCalls()).isEmpty();
    assertThat(answer.text()).isNotEmpty();
    assertThat(answer.finishReasons()).doesNotContain("tool_calls");
  }

  @Test
  void reasoningIsKeptApartFromTheAnswerInBothServersFields() throws Exception {
    for (VllmSimulator.Flavor flavor : VllmSimulator.Flavor.values()) {
      capture.reset();
      VllmClient c = client(b -> b.reasoning(true).flavor(flavor));
      ChatRequest r = ChatRequest.builder("sim-llm").user("Why is the sky blue?").build();
      Completion whole = c.chat(r);
      assertThat(whole.reasoning()).as(flavor.name()).isEqualTo("think0 think1 think2");
      // vLLM counts the reasoning tokens in the usage details; llama-server does not send them
      assertThat(whole.usage().reasoningTokens()).isEqualTo(flavor == VllmSimulator.Flavor.VLLM ? 3 : -1);
      assertThat(whole.text()).isEqualTo("tok0 tok1 tok2 tok3");
      Completion streamed = c.chatStream(r).collect();
      assertThat(streamed.reasoning()).as(flavor.name()).isEqualTo(whole.reasoning());
      assertThat(streamed.text()).isEqualTo(whole.text());
      Eventually.value(() -> capture.spans().size(), n -> n == 2, Duration.ofSeconds(5));
      // reasoning deltas are output: the stream's first chunk (and its time to first token) is the first thought
      SpanData stream = capture.spans().get(1);
      assertThat(attr(stream, InferenceAttributes.CHUNKS)).isEqualTo(7L);
    }
  }

  @Test
  void severalChoicesWithLogProbabilitiesOnChatAndTextCompletions() throws Exception {
    VllmClient c = client(b -> { });
    SamplingParams p = SamplingParams.builder().n(2).logprobs(2).seed(11).build();
    Completion chat = c.chat(ChatRequest.builder("sim-llm").user("hi").sampling(p).build());
    assertThat(chat.choices()).hasSize(2).extracting(Choice::index).containsExactly(0, 1);
    for (Choice ch : chat.choices()) {
      assertThat(ch.logprobs()).hasSize(4);
      assertThat(ch.logprobs().get(0).top()).hasSize(2);
      assertThat(ch.logprobs().get(0).logprob()).isNegative();
    }
    assertThat(chat.choices().get(1).text()).isNotEqualTo(chat.choices().get(0).text());
    SpanData span = onlySpan();
    assertThat(attr(span, InferenceAttributes.GEN_AI_REQUEST_CHOICE_COUNT)).isEqualTo(2L);
    assertThat(attr(span, InferenceAttributes.GEN_AI_REQUEST_SEED)).isEqualTo(11L);
    assertThat(attr(span, InferenceAttributes.RESPONSE_CHOICES)).isEqualTo(2L);

    Completion streamed = c.chatStream(ChatRequest.builder("sim-llm").user("hi").sampling(p).build()).collect();
    assertThat(streamed.choices()).hasSize(2);
    assertThat(streamed.choices().get(0).logprobs()).hasSize(4);
    assertThat(streamed.choices().get(1).text()).isEqualTo(chat.choices().get(1).text());

    Completion text = c.complete(CompletionRequest.of("sim-llm", "hi", p));
    assertThat(text.choices()).hasSize(2);
    TokenLogprob first = text.choices().get(0).logprobs().get(0);
    assertThat(first.token()).isEqualTo("tok0");
    assertThat(first.top()).hasSize(2);
    assertThat(first.top().get(0).logprob()).isGreaterThanOrEqualTo(first.top().get(1).logprob());
  }

  @Test
  void structuredOutputsConstrainTheAnswerAndMarkTheSpan() throws Exception {
    VllmClient c = client(b -> { });
    Completion json = c.chat(ChatRequest.builder("sim-llm").user("weather?")
        .responseFormat(ResponseFormat.jsonSchema("weather", WEATHER)).build());
    assertThat(Json.parseObject(json.text(), "answer")).containsKeys("city", "days");
    assertThat(attr(onlySpan(), InferenceAttributes.GEN_AI_OUTPUT_TYPE)).isEqualTo("json");

    Completion choice = c.chat(ChatRequest.builder("sim-llm").user("sentiment?")
        .structuredOutputs(StructuredOutputs.choice(List.of("positive", "negative"))).build());
    assertThat(choice.text()).isEqualTo("positive");
    Completion streamedJson = c.completeStream(CompletionRequest.of("sim-llm", "weather?")
        .withStructuredOutputs(StructuredOutputs.json(WEATHER))).collect();
    assertThat(Json.parseObject(streamedJson.text(), "answer")).containsKeys("city", "days");
    Completion object = c.chat(ChatRequest.builder("sim-llm").user("x").responseFormat(ResponseFormat.jsonObject())
        .build());
    assertThat(Json.parseObject(object.text(), "answer")).isNotEmpty();
  }

  @Test
  void theRemovedGuidedParametersAreSentWarnedAboutOnceAndMarked() throws Exception {
    VllmClient c = client(b -> { });
    try (TestLogs logs = new TestLogs()) {
      SamplingParams old = SamplingParams.builder().extra("guided_choice", List.of("yes", "no")).build();
      Completion out = c.chat(ChatRequest.builder("sim-llm").user("ok?").sampling(old).build());
      c.chat(ChatRequest.builder("sim-llm").user("ok?").sampling(old).build());
      // a current server ignores the field: the answer is unconstrained, as the warning says
      assertThat(out.text()).isNotIn("yes", "no");
      assertThat(RemovedParams.warned("guided_choice")).isTrue();
      long warnings = logs.everything().lines().filter(l -> l.contains("guided_choice was removed")).count();
      assertThat(warnings).isLessThanOrEqualTo(1); // once per JVM: 0 when an earlier test already warned
      Eventually.value(() -> capture.spans().size(), n -> n == 2, Duration.ofSeconds(5));
      for (SpanData s : capture.spans()) {
        assertThat(attr(s, InferenceAttributes.REQUEST_REMOVED_PARAMS)).containsExactly("guided_choice");
      }
    }
  }

  @Test
  void theCallersRequestIdIsSentAsXRequestIdAndRecorded() throws Exception {
    VllmClient c = client(b -> { });
    c.chat(ChatRequest.builder("sim-llm").user("hi").requestId("order-42-attempt").build());
    c.complete(CompletionRequest.of("sim-llm", "hi").withRequestId("order-43"));
    assertThat(lastSim.requests("/v1/chat/completions").get(0).requestId()).isEqualTo("order-42-attempt");
    assertThat(lastSim.requests("/v1/completions").get(0).requestId()).isEqualTo("order-43");
    Eventually.value(() -> capture.spans().size(), n -> n == 2, Duration.ofSeconds(5));
    assertThat(capture.spans()).extracting(s -> attr(s, InferenceAttributes.REQUEST_ID))
        .containsExactlyInAnyOrder("order-42-attempt", "order-43");
  }

  @Test
  void cachedPromptTokensFromTheUsageDetailsReachTheSpan() throws Exception {
    VllmClient c = client(b -> b.promptTokensDetails(true));
    Completion out = c.chat(ChatRequest.builder("sim-llm").user("hi there").build());
    assertThat(out.usage().cachedPromptTokens()).isZero();
    assertThat(out.usage().reasoningTokens()).isEqualTo(-1); // vLLM's usage has no completion details
    assertThat(attr(onlySpan(), InferenceAttributes.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)).isZero();
  }

  @Test
  void contentPartsGoOutAsTheirWireShapes() throws Exception {
    VllmClient c = client(b -> { });
    ChatRequest r = ChatRequest.builder("sim-llm")
        .user(ContentPart.text("what is in this picture?"), ContentPart.image("image/png", new byte[] {1, 2, 3}),
            ContentPart.inputAudio(new byte[] {4}, "wav"))
        .build();
    assertThat(c.chat(r).text()).isNotEmpty();
    assertThat(attr(onlySpan(), InferenceAttributes.REQUEST_MEDIA_PARTS)).isEqualTo(2L);
  }

  @Test
  void rerankScoreClassifyAndPooling() throws Exception {
    VllmClient c = client(b -> { });
    Reranking ranked = c.rerank("sim-llm", "capital of france",
        List.of("bananas are yellow", "paris is the capital of france", "the capital city"), 2);
    assertThat(ranked.results()).hasSize(2).extracting(RerankResult::index).containsExactly(1, 2);
    assertThat(ranked.results().get(0).relevanceScore()).isGreaterThan(ranked.results().get(1).relevanceScore());
    assertThat(ranked.usage().promptTokens()).isPositive();

    Scores scores = c.score("sim-llm", "red apple", List.of("a red apple", "blue sky"));
    assertThat(scores.scores()).hasSize(2);
    assertThat(scores.scores().get(0)).isGreaterThan(scores.scores().get(1));

    Classifications classes = c.classify("sim-llm", List.of("a good day", "a bad day"));
    assertThat(classes.results()).extracting(Classification::label).containsExactly("positive", "negative");
    assertThat(classes.results().get(0).confidence()).isEqualTo(0.9);

    Pooling pooled = c.pooling("sim-llm", List.of("one two three"));
    assertThat(pooled.outputs()).hasSize(1);
    assertThat(pooled.outputs().get(0)).hasNumberOfRows(3);

    Eventually.value(() -> capture.spans().size(), n -> n == 4, Duration.ofSeconds(5));
    assertThat(capture.spans()).extracting(s -> attr(s, InferenceAttributes.RESPONSE_RESULTS))
        .containsExactlyInAnyOrder(2L, 2L, 2L, 1L);
  }

  @Test
  void impossibleRequestsAreRefusedAtBuildTime() throws Exception {
    assertThatThrownBy(() -> Tool.function("get weather!", null, null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> weather().toolChoice(ToolChoice.function("nope")).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");
    assertThatThrownBy(() -> ChatRequest.builder("m").user("x").toolChoice(ToolChoice.required()).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> weather().tool(GET_WEATHER).build()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ChatMessage.tool("", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ChatMessage("user", "x", List.of(), null, List.of(ToolCall.of("1", "f", "{}")), null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SamplingParams.builder().n(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SamplingParams.builder().logprobs(21)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ChatRequest.builder("m").requestId("a\nb")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ContentPart.imageUrl("https://x/y.png", "huge")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ResponseFormat.jsonSchema("a b", Map.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> StructuredOutputs.choice(List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SamplingParams.builder().extra("tools", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void noNewFieldCarriesContentIntoTelemetryOrLogs() throws Exception {
    String canary = "CANARY_api_7f3e";
    Map<String, Object> schema = Map.of("type", "object", "properties", Map.of(canary, Map.of("type", "string")));
    Tool tool = Tool.function("lookup", "describes " + canary, schema);
    VllmClient c = client(b -> b.reasoningWord(canary));
    ChatRequest toolCall = ChatRequest.builder("sim-llm").user("call it " + canary).tool(tool)
        .sampling(SamplingParams.builder().user("user-" + canary).logprobs(1).build()).build();
    ChatRequest history = ChatRequest.builder("sim-llm")
        .system(canary)
        .user(ContentPart.text(canary), ContentPart.imageUrl("https://img.example/" + canary + ".png", "low"),
            ContentPart.fileData(canary + ".pdf", "data:application/pdf;base64," + canary))
        .message(ChatMessage.assistantToolCalls(List.of(ToolCall.of("call-1", "lookup", "{\"" + canary + "\":1}")))
            .withName("agent"))
        .message(ChatMessage.tool("call-1", "result " + canary))
        .tool(tool)
        .responseFormat(ResponseFormat.jsonSchema("out", "about " + canary, schema, true))
        .build();
    ChatRequest regex = ChatRequest.builder("sim-llm").user("x")
        .structuredOutputs(StructuredOutputs.regex(canary + ".*")).build();
    try (TestLogs logs = new TestLogs()) {
      Completion called = c.chat(toolCall);
      // the server's answer holds the canary (the arguments name the schema's property): it must stay there
      assertThat(called.toolCalls().get(0).arguments()).contains(canary);
      c.chatAsync(toolCall).get(10, TimeUnit.SECONDS);
      assertThat(c.chatStream(toolCall).collect().toolCalls().get(0).arguments()).contains(canary);
      viaPublisher(c, toolCall);
      Completion json = c.chat(history);
      assertThat(json.text()).contains(canary);
      assertThat(json.reasoning()).contains(canary); // the model's reasoning holds it too (streamed below)
      assertThat(c.responsesStream(ResponsesRequest.builder("sim-llm").input(canary).build()).collect().reasoning())
          .contains(canary);
      c.chatStream(history).collect();
      c.chat(regex);
      c.complete(CompletionRequest.of("sim-llm", canary).withStructuredOutputs(StructuredOutputs.json(schema)));
      c.rerank("sim-llm", canary, List.of(canary + " doc"));
      c.score("sim-llm", canary, List.of(canary));
      c.classify("sim-llm", List.of(canary));
      c.pooling("sim-llm", List.of(canary));
      Eventually.value(() -> capture.spans().size(), n -> n == 13, Duration.ofSeconds(5));
      assertThat(capture.everythingRecorded()).doesNotContain(canary);
      assertThat(logs.everything()).doesNotContain(canary);
      assertThat(logs.requestLines()).isGreaterThanOrEqualTo(11);
      // tool names are identifiers (shown by toString, never recorded); everything else is content
      for (Object shown : List.of(toolCall, history, regex, tool, called, called.toolCalls().get(0), json,
          history.messages(), history.responseFormat(), called.choices().get(0).logprobs())) {
        assertThat(String.valueOf(shown)).doesNotContain(canary);
      }
    }
  }

  @Test
  void theResponsesApiOnEveryPathWithItsEventSequenceAndServerTiming() throws Exception {
    for (VllmSimulator.Flavor flavor : VllmSimulator.Flavor.values()) {
      capture.reset();
      VllmClient c = client(b -> b.flavor(flavor).perRequestMetrics(true).reasoning(true));
      ResponsesRequest r = ResponsesRequest.builder("sim-llm").input("Tell me about the sea").instructions("be brief")
          .build();
      ResponseResult sync = c.responses(r);
      assertThat(sync.text()).as(flavor.name()).isEqualTo("tok0 tok1 tok2 tok3");
      assertThat(sync.reasoning()).isEqualTo("think0 think1 think2");
      assertThat(sync.status()).isEqualTo("completed");
      assertThat(sync.id()).startsWith("resp_");
      assertThat(sync.usage().completionTokens()).isEqualTo(7);
      ResponseResult async = c.responsesAsync(r).get(10, TimeUnit.SECONDS);
      assertThat(async.text()).isEqualTo(sync.text());
      List<ResponseEvent.Kind> kinds = new java.util.ArrayList<>();
      ResponseResult streamed;
      try (ResponseStream st = c.responsesStream(r)) {
        st.forEachRemaining(e -> kinds.add(e.kind()));
        streamed = st.result();
        assertThat(st.chunks()).isEqualTo(7); // 3 reasoning and 4 text deltas
      }
      assertThat(kinds.get(0)).isEqualTo(ResponseEvent.Kind.CREATED);
      assertThat(kinds).contains(ResponseEvent.Kind.REASONING_DELTA, ResponseEvent.Kind.OUTPUT_TEXT_DELTA,
          ResponseEvent.Kind.OUTPUT_TEXT_DONE);
      assertThat(kinds.get(kinds.size() - 1)).isEqualTo(ResponseEvent.Kind.COMPLETED);
      assertThat(streamed.text()).isEqualTo(sync.text());
      assertThat(streamed.reasoning()).isEqualTo(sync.reasoning());
      List<ResponseEvent> published = VllmCallPathContractTest.subscribe(c.responsesPublisher(r));
      assertThat(published).extracting(ResponseEvent::kind).containsExactlyElementsOf(kinds);
      Eventually.value(() -> capture.spans().size(), n -> n == 4, Duration.ofSeconds(5));
      for (SpanData s : capture.spans()) {
        assertThat(s.getName()).isEqualTo("chat sim-llm");
        assertThat(attr(s, AttributeKey.stringKey("url.full"))).endsWith("/v1/responses");
        assertThat(attr(s, AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(7L);
      }
      // the streamed call's server timing comes from the completed event: vLLM's response.metrics (with a
      // queue), llama-server's top-level timings (compute only); non-streamed llama responses carry none
      SpanData stream = capture.spans().stream().filter(s -> Boolean.TRUE.equals(
          attr(s, AttributeKey.booleanKey("gen_ai.request.stream")))).findFirst().orElse(capture.spans().get(2));
      assertThat(attr(stream, InferenceAttributes.SERVER_TIMING_SOURCE)).as(flavor.name())
          .isEqualTo(flavor == VllmSimulator.Flavor.VLLM ? "response" : "response_compute");
    }
  }

  @Test
  void aResponsesFunctionCallAndItsOutputGoBackAsItems() throws Exception {
    VllmClient c = client(b -> { });
    ResponsesRequest ask = ResponsesRequest.builder("sim-llm").message(ChatMessage.user("weather in Lisbon?"))
        .tool(GET_WEATHER).build();
    ResponseResult first = c.responses(ask);
    assertThat(first.toolCalls()).hasSize(1);
    ToolCall call = first.toolCalls().get(0);
    assertThat(call.id()).startsWith("call_");
    assertThat(Json.parseObject(call.arguments(), "arguments")).containsKeys("city", "days");
    ResponseResult streamed = c.responsesStream(ask).collect();
    assertThat(streamed.toolCalls()).hasSize(1);
    assertThat(streamed.toolCalls().get(0).arguments()).isEqualTo(call.arguments());
    ResponseResult answer = c.responses(ResponsesRequest.builder("sim-llm").message(ChatMessage.user("weather?"))
        .message(ChatMessage.assistantToolCalls(first.toolCalls())).message(ChatMessage.tool(call.id(), "sunny"))
        .tool(GET_WEATHER).build());
    assertThat(answer.toolCalls()).isEmpty();
    assertThat(answer.text()).isNotEmpty();
    assertThatThrownBy(() -> ResponsesRequest.builder("m").build()).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ResponsesRequest.builder("m").message(ChatMessage.user(ContentPart.inputAudio(new byte[1], "wav"))).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ResponsesRequest.builder("m").reasoningEffort("extreme")).isInstanceOf(IllegalArgumentException.class);
  }
}
