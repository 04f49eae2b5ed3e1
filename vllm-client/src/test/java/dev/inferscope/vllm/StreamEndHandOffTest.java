package dev.inferscope.vllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.inferscope.core.CallRecord;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.Outcome;
import dev.inferscope.core.Phase;
import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.testkit.Closer;
import dev.inferscope.testkit.HandOffClock;
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
 * ({@link Phase#DESERIALIZE}), not the network's, on every streaming path: after the last output each
 * reader waits until the end of the response body has reached the client (the events that end the
 * stream fit in the body subscriber's window), the clock then jumps {@value #PAUSE_MS} ms, and only then
 * does the reader read those events. Before the hand-off was measured, those {@value #PAUSE_MS} ms were
 * NETWORK.
 */
class StreamEndHandOffTest {
  private static final long PAUSE_MS = 300;
  @RegisterExtension final Closer closer = new Closer();
  private final List<CallRecord> ended = new CopyOnWriteArrayList<>();
  private final HandOffClock clock = new HandOffClock();

  /** What a reader does after the last output, before it reads on. */
  @FunctionalInterface
  interface Pause {
    void run() throws InterruptedException;
  }

  /** One streaming path: reads the whole stream, pausing once {@code last} says the output is over. */
  @FunctionalInterface
  interface StreamPath {
    void read(VllmClient client, Pause pause) throws Exception;
  }

  static Stream<Arguments> paths() {
    ChatRequest chat = ChatRequest.builder("m").user("hello").build();
    CompletionRequest text = CompletionRequest.of("m", "hello");
    ResponsesRequest responses = ResponsesRequest.builder("m").input("hello").build();
    Predicate<StreamChunk> lastChunk = c -> !c.choices().isEmpty() && c.choices().get(0).finishReason() != null;
    // the simulator's Responses stream ends: output_text.done, content_part.done, output_item.done, completed
    Predicate<ResponseEvent> lastOutput = e -> e.kind() == ResponseEvent.Kind.OUTPUT_TEXT_DONE;
    return Stream.of(
        Arguments.of("chatStream", (StreamPath) (c, p) -> iterate(c.chatStream(chat), lastChunk, p)),
        Arguments.of("completeStream", (StreamPath) (c, p) -> iterate(c.completeStream(text), lastChunk, p)),
        Arguments.of("responsesStream", (StreamPath) (c, p) -> iterate(c.responsesStream(responses), lastOutput, p)),
        Arguments.of("chatPublisher", (StreamPath) (c, p) -> subscribe(c.chatPublisher(chat), lastChunk, p)),
        Arguments.of("responsesPublisher",
            (StreamPath) (c, p) -> subscribe(c.responsesPublisher(responses), lastOutput, p)));
  }

  private static <E> void iterate(java.util.Iterator<E> stream, Predicate<E> last, Pause pause)
      throws InterruptedException {
    try (AutoCloseable ignored = (AutoCloseable) stream) {
      while (stream.hasNext()) {
        if (last.test(stream.next())) {
          pause.run();
        }
      }
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Requests one event at a time; pauses in onNext after the last output before asking for more. */
  private static <E> void subscribe(Flow.Publisher<E> publisher, Predicate<E> last, Pause pause) throws Exception {
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
            pause.run();
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
        .telemetry(InferenceTelemetry.builder().clock(clock).addListener(ended::add).build())
        .resilience(ResiliencePolicy.builder().maxAttempts(1).circuitBreaker(null).build())
        .roundTripProbeInterval(Duration.ZERO)
        .build());

    // one call first, so that the measured one meets a warm connection and loaded classes: a cold first
    // exchange on a slow machine can take longer than the bound on network below
    client.chat(ChatRequest.builder("m").user("warm up").build());
    ended.clear();

    clock.arm();
    path.read(client, () -> {
      assertThat(clock.awaitBodyEnd(Duration.ofSeconds(10))).as("the end of the body reached the client").isTrue();
      clock.jump(Duration.ofMillis(PAUSE_MS)); // the reader takes what had arrived this much later
    });

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
