package dev.inferscope.vllm;

import dev.inferscope.core.CallListener;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.testkit.CallPathContract;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * The call-path contract (deadline, size cap, classification, end-once) on every path of the vLLM
 * client. Adding a path to {@link #paths()} puts it under every guarantee.
 */
class VllmCallPathContractTest extends CallPathContract {
  private static ChatRequest chat() {
    return ChatRequest.builder("m").user("hello").build();
  }

  private static CompletionRequest completion() {
    return CompletionRequest.of("m", "hello");
  }

  @FunctionalInterface
  interface ClientCall {
    Object call(VllmClient client) throws Exception;
  }

  private static CallPath vllm(String name, boolean streams, ClientCall c) {
    return path(name, streams, (URI base, CallListener listener) -> {
      try (VllmClient client = VllmClient.builder(base)
          // recordProbes: the models path is a probe, and the contract counts how each call ended
          .telemetry(InferenceTelemetry.builder().addListener(listener).recordProbes(true).build())
          .defaultDeadline(DEADLINE)
          .maxResponseBytes(MAX_RESPONSE_BYTES)
          .roundTripProbeInterval(Duration.ZERO) // probes would be requests the contract counts
          .build()) {
        return c.call(client);
      }
    });
  }

  @Override
  protected List<CallPath> paths() {
    return List.of(
        vllm("chat", false, c -> c.chat(chat())),
        vllm("chatAsync", false, c -> unwrap(c.chatAsync(chat()))),
        vllm("chatStream", true, c -> c.chatStream(chat()).collect()),
        vllm("chatPublisher", true, c -> subscribe(c.chatPublisher(chat()))),
        vllm("complete", false, c -> c.complete(completion())),
        vllm("completeStream", true, c -> c.completeStream(completion()).collect()),
        vllm("embeddings", false, c -> c.embeddings("m", List.of("hello"))),
        vllm("models", false, VllmClient::models),
        vllm("tokenize", false, c -> c.tokenize("m", "hello")),
        vllm("responses", false, c -> c.responses(responses())),
        vllm("responsesAsync", false, c -> unwrap(c.responsesAsync(responses()))),
        vllm("responsesStream", true, c -> c.responsesStream(responses()).collect()),
        vllm("responsesPublisher", true, c -> subscribe(c.responsesPublisher(responses()))),
        vllm("rerank", false, c -> c.rerank("m", "q", List.of("d"))));
  }

  private static ResponsesRequest responses() {
    return ResponsesRequest.builder("m").input("hello").build();
  }

  private static Object unwrap(CompletableFuture<?> f) throws Exception {
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  /** Subscribes, requests everything, and returns the chunks or throws what onError delivered. */
  static <E> List<E> subscribe(Flow.Publisher<E> publisher) throws Exception {
    CompletableFuture<List<E>> done = new CompletableFuture<>();
    List<E> chunks = new ArrayList<>();
    publisher.subscribe(new Flow.Subscriber<>() {
      @Override
      public void onSubscribe(Flow.Subscription s) {
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(E item) {
        chunks.add(item);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        done.complete(chunks);
      }
    });
    try {
      return done.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof InferenceException ie) {
        throw ie;
      }
      throw e;
    }
  }
}
