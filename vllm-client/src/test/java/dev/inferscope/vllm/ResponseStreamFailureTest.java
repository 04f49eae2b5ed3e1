package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.inferscope.core.CallRecord;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.Eventually;
import dev.inferscope.testkit.FaultyServer;
import dev.inferscope.testkit.HostileHttp;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A Responses stream that fails mid-way (a {@code response.failed} event after a delta, an {@code error} event, a
 * stream that ends before {@code response.completed}) ends with a typed error that says how many output chunks
 * arrived, and its call ends exactly once with the outcome the caller saw — on the iterator and on the publisher.
 * (Sync and async Responses calls meet the shared hostile-server templates in {@code VllmCallPathContractTest}.)
 */
class ResponseStreamFailureTest {
  private static byte[] sse(String... events) {
    StringBuilder sb = new StringBuilder();
    for (String e : events) {
      sb.append("data: ").append(e).append("\n\n");
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static final String CREATED = "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}";
  private static final String DELTA = "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg\",\"delta\":\"hi\"}";

  /** One path of the client reading {@code body}: returns the error it ended with, after its own checks. */
  @FunctionalInterface
  private interface Path {
    InferenceException run(VllmClient c, ResponsesRequest request) throws Exception;
  }

  /**
   * Serves {@code body} once to a fresh client, reads it through {@code path}, and checks the typed error, the
   * chunk count and that the call ended exactly once with that outcome.
   */
  private static void endsOnce(byte[] body, ErrorType type, long chunks, Path path) throws Exception {
    List<CallRecord> ends = new CopyOnWriteArrayList<>();
    try (FaultyServer server = new FaultyServer(HostileHttp.answering(HostileHttp.body(200, body,
        "Content-Type", "text/event-stream")));
        VllmClient c = VllmClient.builder(server.httpUri()).resilience(ResiliencePolicy.none())
            .roundTripProbeInterval(Duration.ZERO)
            .telemetry(InferenceTelemetry.builder().addListener(ends::add).build()).build()) {
      InferenceException e = path.run(c, ResponsesRequest.builder("m").input("x").build());
      assertThat(e.errorType()).isEqualTo(type);
      assertThat(e.chunksReceived()).isEqualTo(chunks);
      Eventually.value(ends::size, n -> n >= 1, Duration.ofSeconds(5));
      assertThat(ends).singleElement().satisfies(r -> assertThat(r.errorType()).isEqualTo(type));
    }
  }

  /** Through the iterator; after the failure, asking for more throws the same typed error. */
  private void expect(byte[] body, ErrorType type, long chunks) throws Exception {
    endsOnce(body, type, chunks, (c, request) -> {
      ResponseStream st = c.responsesStream(request);
      InferenceException e = catchThrowableOfType(InferenceException.class, st::collect);
      assertThat(catchThrowableOfType(InferenceException.class, st::hasNext).errorType()).isEqualTo(type);
      return e;
    });
  }

  /** The same failures through the publisher: onError gets the typed error, the call ends once. */
  private void expectPublished(byte[] body, ErrorType type, long chunks) throws Exception {
    endsOnce(body, type, chunks, (c, request) -> catchThrowableOfType(InferenceException.class, () ->
        VllmCallPathContractTest.subscribe(c.responsesPublisher(request))));
  }

  @Test
  void thePublisherEndsTheSameWays() throws Exception {
    expectPublished(sse(CREATED, DELTA, "{\"type\":\"response.failed\",\"response\":{\"status\":\"failed\","
        + "\"error\":{\"code\":\"server_error\",\"message\":\"engine died\"}}}"), ErrorType.INTERNAL, 1);
    expectPublished(sse(CREATED, "{\"type\":\"error\",\"code\":503,\"message\":\"overloaded\"}"),
        ErrorType.UNAVAILABLE, 0);
    expectPublished(sse(CREATED, DELTA, DELTA), ErrorType.UNAVAILABLE, 2);
    expectPublished(sse(CREATED, DELTA, "{\"type\":\"response.output_text.delta\",\"delta\":"), ErrorType.PROTOCOL, 1);
  }

  @Test
  void aFailedResponseAfterADeltaIsATypedErrorOnce() throws Exception {
    expect(sse(CREATED, DELTA, "{\"type\":\"response.failed\",\"response\":{\"status\":\"failed\","
        + "\"error\":{\"code\":\"server_error\",\"message\":\"engine died\"}}}"), ErrorType.INTERNAL, 1);
  }

  @Test
  void anErrorEventCarriesItsStatus() throws Exception {
    expect(sse(CREATED, "{\"type\":\"error\",\"code\":503,\"message\":\"overloaded\"}"), ErrorType.UNAVAILABLE, 0);
  }

  @Test
  void aStreamThatEndsBeforeCompletedIsUnavailable() throws Exception {
    expect(sse(CREATED, DELTA, DELTA), ErrorType.UNAVAILABLE, 2);
  }

  @Test
  void aMalformedEventIsProtocol() throws Exception {
    expect(sse(CREATED, DELTA, "{\"type\":\"response.output_text.delta\",\"delta\":"), ErrorType.PROTOCOL, 1);
  }
}
