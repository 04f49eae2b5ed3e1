package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.inferscope.core.CallRecord;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.Outcome;
import dev.inferscope.core.Phase;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.Closer;
import dev.inferscope.testkit.vllm.VllmSimulator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The end of a stream that reached the client while its reader was busy is the client's time
 * ({@link Phase#DESERIALIZE}), not the network's, on every streaming path: each reader stops for
 * {@value #PAUSE_MS} ms after the last output and only then reads the events that end the stream, which
 * the server has sent by then (they fit in the body subscriber's window). Before the hand-off was
 * measured, those {@value #PAUSE_MS} ms were NETWORK.
 */
class StreamEndHandOffTest {
  private static final long PAUSE_MS = 300;
  @RegisterExtension final Closer closer = new Closer();
  private final List<CallRecord> ended = new CopyOnWriteArrayList<>();

  /** One streaming path: reads the whole stream, pausing once {@code last} says the output is over. */
  @FunctionalInterface
  interface StreamPath {
    void read(VllmClient client) throws Exception;
  }

  static Stream<Arguments> paths() {
    ChatRequest chat = ChatRequest.builder("m").user("hello").build();
    CompletionRequest text = CompletionRequest.of("m", "hello");
    ResponsesRequest responses = ResponsesRequest.builder("m").input("hello").build();
    Predicate<StreamChunk> lastChunk = c -> !c.choices().isEmpty() && c.choices().get(0).finishReason() != null;
    // the simulator's Responses stream ends: output_text.done, content_part.done, output_item.done, completed
    Predicate<ResponseEvent> lastOutput = e -> e.kind() == ResponseEvent.Kind.OUTPUT_TEXT_DONE;
    return Stream.of(
        Arguments.of("chatStream", (StreamPath) c -> iterate(c.chatStream(chat), lastChunk)),
        Arguments.of("completeStream", (StreamPath) c -> iterate(c.completeStream(text), lastChunk)),
        Arguments.of("responsesStream", (StreamPath) c -> iterate(c.responsesStream(responses), lastOutput)),
        Arguments.of("chatPublisher", (StreamPath) c -> subscribe(c.chatPublisher(chat), lastChunk)),
        Arguments.of("responsesPublisher", (StreamPath) c -> subscribe(c.responsesPublisher(responses), lastOutput)));
  }

  private static <E> void iterate(java.util.Iterator<E> stream, Predicate<E> last) throws InterruptedException {
    try (AutoCloseable ignored = (AutoCloseable) stream) {
      while (stream.hasNext()) {
        if (last.test(stream.next())) {
          Thread.sleep(PAUSE_MS);
        }
      }
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Requests one event at a time; pauses in onNext after the last output before asking for more. */
  private static <E> void subscribe(Flow.Publisher<E> publisher, Predicate<E> last) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    publisher.subscribe(new Flow.Subscriber<E>() {
      private Flow.Subscription s;

      @Override
      public void onSubscribe(Flow.Subscription s) {
        this.s = s;
        s.request(1);
      }

      @Override
      public void onNext(E item) {
        if (last.test(item)) {
          try {
            Thread.sleep(PAUSE_MS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        s.request(1);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
        done.complete(null);
      }
    });
    done.get(10, TimeUnit.SECONDS);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void theEndWaitingForTheReaderIsDeserializeNotNetwork(String name, StreamPath path) throws Exception {
    VllmSimulator sim = closer.add(VllmSimulator.builder().models("m").timeToFirstToken(Duration.ofMillis(10))
        .interTokenGap(Duration.ofMillis(2)).tokensPerResponse(4).perRequestMetrics(true).start());
    VllmClient client = closer.add(VllmClient.builder(sim.baseUri())
        .telemetry(InferenceTelemetry.builder().addListener(ended::add).build())
        .resilience(ResiliencePolicy.builder().maxAttempts(1).circuitBreaker(null).build())
        .roundTripProbeInterval(Duration.ZERO)
        .build());

    // one call first, so that the measured one meets a warm connection and loaded classes: a cold first
    // exchange on a slow machine can take longer than the bound on network below
    client.chat(ChatRequest.builder("m").user("warm up").build());
    ended.clear();

    path.read(client);

    assertThat(ended).hasSize(1);
    CallRecord r = ended.get(0);
    assertThat(r.outcome()).isEqualTo(Outcome.SUCCESS);
    long pause = TimeUnit.MILLISECONDS.toNanos(PAUSE_MS);
    assertThat(r.durationNanos()).isGreaterThanOrEqualTo(pause);
    // the pause is the client's: in DESERIALIZE (less a little: the last bytes may come in after it began)
    assertThat(r.phaseNanos(Phase.DESERIALIZE)).as(name + " deserialize").isGreaterThan(pause * 8 / 10);
    // and not the network's: what is left there is the transport and a fast server's untimed part
    assertThat(r.phaseNanos(Phase.NETWORK)).as(name + " network").isLessThan(pause / 2);
    long sum = 0;
    for (Phase p : Phase.values()) {
      sum += p.inPartition() ? r.phaseNanos(p) : 0;
    }
    assertThat(sum).as("the partition sums to the total within 1 µs").isCloseTo(r.durationNanos(), within(1_000L));
  }
}
