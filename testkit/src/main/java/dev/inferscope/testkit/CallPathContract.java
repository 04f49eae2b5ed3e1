package dev.inferscope.testkit;

import dev.inferscope.core.CallListener;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.Outcome;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every guarantee as one template, run on every call path a client module lists: a subclass names its
 * paths ({@link #paths()}: sync, async, streamed iterator, publisher, other endpoints), each a function
 * that makes one call against a server URI with a client built to the contract's settings
 * ({@link #DEADLINE}, {@link #MAX_RESPONSE_BYTES}, default retries), and each template below becomes one
 * test per path. A new path is covered by adding it to the list.
 *
 * <p>The server is a {@link FaultyServer} playing a {@link HostileHttp} answer on 127.0.0.1. Each test
 * checks: the caller gets an {@link InferenceException} of the expected type (never a success, never a
 * hang: the time is bounded); the call ended exactly once, with the type the caller got; and, where the
 * failure is not worth repeating, the server saw one request.
 */
public abstract class CallPathContract {
  /** The deadline every path is called with. */
  public static final Duration DEADLINE = Duration.ofMillis(500);

  /** The size cap every client is built with (vLLM {@code maxResponseBytes}, Triton {@code maxInboundMessageSize}). */
  public static final int MAX_RESPONSE_BYTES = 1 << 20;

  /** The most a deadline-bound failure may take beyond {@link #DEADLINE} on a loaded 2-core machine. */
  private static final Duration SLACK = Duration.ofMillis(1500);

  /** How long past the deadline a call is declared hung and abandoned (its server is then closed). */
  private static final Duration HUNG = Duration.ofSeconds(10);

  /** One way of calling a client. */
  public interface CallPath {
    String name();

    /** Whether the path reads server-sent events (a streamed call) rather than one body. */
    boolean streams();

    /** Whether the path speaks HTTP/1.1 (false for gRPC, which meets only the transport-agnostic faults). */
    default boolean http() {
      return true;
    }

    /**
     * Makes one call to the server at {@code base} with a client built with {@code listener},
     * {@link #DEADLINE} and {@link #MAX_RESPONSE_BYTES}, reading a stream to its end; closes the client.
     */
    Object call(URI base, CallListener listener) throws Exception;
  }

  /** A path from its parts. */
  public static CallPath path(String name, boolean streams, Invoker invoker) {
    return new Path(name, streams, true, invoker);
  }

  /** A gRPC path: {@code invoker} gets {@code http://127.0.0.1:port} and makes its target from host and port. */
  public static CallPath grpcPath(String name, boolean streams, Invoker invoker) {
    return new Path(name, streams, false, invoker);
  }

  private record Path(String name, boolean streams, boolean http, Invoker invoker) implements CallPath {
    @Override
    public Object call(URI base, CallListener listener) throws Exception {
      return invoker.call(base, listener);
    }
  }

  /** The call of a {@link CallPath}. */
  @FunctionalInterface
  public interface Invoker {
    Object call(URI base, CallListener listener) throws Exception;
  }

  /** The paths of this client module, every one. */
  protected abstract List<CallPath> paths();

  private static String contentType(CallPath p) {
    return p.streams() ? "text/event-stream" : "application/json";
  }

  @TestFactory
  Stream<DynamicNode> deadlineHoldsOnEveryPath() {
    return templates(
        template("a server that accepts and never answers", p -> HostileHttp.answering(out -> HostileHttp.silence()),
            ErrorType.DEADLINE_EXCEEDED, true, false),
        template("200 headers, then no body", p -> HostileHttp.answering(
            HostileHttp.headersThenSilence(200, contentType(p), 4096)), ErrorType.DEADLINE_EXCEEDED, true, true),
        template("500 headers, then no error body", p -> HostileHttp.answering(
            HostileHttp.headersThenSilence(500, "application/json", 4096)), ErrorType.DEADLINE_EXCEEDED, true, true),
        template("a body that trickles in, one byte per 20 ms", p -> HostileHttp.answering(
            HostileHttp.trickle(200, contentType(p), 1_000_000, (byte) (p.streams() ? ':' : ' '), 20)),
            ErrorType.DEADLINE_EXCEEDED, true, true));
  }

  @TestFactory
  Stream<DynamicNode> sizeCapHoldsOnEveryPath() {
    return templates(
        template("a body (or one event) of 8 MiB against a 1 MiB cap", p -> HostileHttp.answering(HostileHttp.body(200,
            p.streams() ? HostileHttp.oversizedEvent(8 << 20) : HostileHttp.oversizedJson(8 << 20),
            "Content-Type", contentType(p))), ErrorType.PROTOCOL, false, true, false, "larger than"),
        template("a body that says gzip and is not", p -> HostileHttp.answering(HostileHttp.body(200,
            "not gzip at all, just text".getBytes(StandardCharsets.US_ASCII), "Content-Type", contentType(p),
            "Content-Encoding", "gzip")), ErrorType.PROTOCOL, false, true, false, "gzip"));
  }

  @TestFactory
  Stream<DynamicNode> statusesClassifyTheSameOnEveryPath() {
    // Triton's error body ({"error": "..."}, triton-inference-server/server src/http_server.cc); the status
    // is what is tested, the body only has to be readable by both clients
    byte[] err = "{\"error\":\"bad things\"}".getBytes(StandardCharsets.US_ASCII);
    return templates(
        template("502 from a proxy", p -> status(502, err), ErrorType.UNAVAILABLE, false, true, true),
        template("503", p -> status(503, err), ErrorType.UNAVAILABLE, false, true, true),
        template("501", p -> status(501, err), ErrorType.NOT_FOUND, false, true),
        template("500", p -> status(500, err), ErrorType.INTERNAL, false, true),
        template("429", p -> status(429, err), ErrorType.RESOURCE_EXHAUSTED, false, true, true),
        template("404", p -> status(404, err), ErrorType.NOT_FOUND, false, true),
        template("400", p -> status(400, err), ErrorType.INVALID_ARGUMENT, false, true));
  }

  private static HostileHttp status(int status, byte[] body) {
    return HostileHttp.answering(HostileHttp.body(status, body, "Content-Type", "application/json"));
  }

  /** One guarantee: the server each path meets, and what the caller must get. */
  /**
   * One guarantee: the server each path meets, and what the caller must get — the type and, where another
   * cause could give the same type (a body that does not decode is PROTOCOL too), what the message names.
   */
  private record Template(String name, java.util.function.Function<CallPath, HostileHttp> server, ErrorType expected,
      boolean atTheDeadline, boolean httpOnly, boolean retried, @org.jspecify.annotations.Nullable String because) {}

  private static Template template(String name, java.util.function.Function<CallPath, HostileHttp> server,
      ErrorType expected, boolean atTheDeadline, boolean httpOnly) {
    return new Template(name, server, expected, atTheDeadline, httpOnly, false, null);
  }

  private static Template template(String name, java.util.function.Function<CallPath, HostileHttp> server,
      ErrorType expected, boolean atTheDeadline, boolean httpOnly, boolean retried) {
    return new Template(name, server, expected, atTheDeadline, httpOnly, retried, null);
  }

  private static Template template(String name, java.util.function.Function<CallPath, HostileHttp> server,
      ErrorType expected, boolean atTheDeadline, boolean httpOnly, boolean retried, String because) {
    return new Template(name, server, expected, atTheDeadline, httpOnly, retried, because);
  }

  private Stream<DynamicNode> templates(Template... templates) {
    List<DynamicNode> out = new ArrayList<>();
    for (Template t : templates) {
      List<DynamicTest> tests = new ArrayList<>();
      for (CallPath p : paths()) {
        if (t.httpOnly() && !p.http()) {
          continue;
        }
        tests.add(DynamicTest.dynamicTest(p.name(), () -> run(t, p)));
      }
      out.add(DynamicContainer.dynamicContainer(t.name(), tests));
    }
    return out.stream();
  }

  private static void run(Template t, CallPath p) throws Exception {
    HostileHttp behaviour = t.server().apply(p);
    List<CallRecord> ends = new CopyOnWriteArrayList<>();
    try (FaultyServer server = new FaultyServer(behaviour)) {
      long t0 = System.nanoTime();
      Object result;
      Throwable thrown = null;
      java.util.concurrent.FutureTask<Object> task = new java.util.concurrent.FutureTask<>(
          () -> p.call(server.httpUri(), ends::add));
      Thread caller = new Thread(task, "call-path-contract");
      caller.setDaemon(true);
      caller.start();
      try {
        result = task.get(DEADLINE.plus(HUNG).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException hung) {
        caller.interrupt();
        throw new AssertionError(t.name() + " on " + p.name() + ": still waiting " + DEADLINE.plus(HUNG).toMillis()
            + " ms after a " + DEADLINE.toMillis() + " ms deadline (hung)");
      } catch (java.util.concurrent.ExecutionException e) {
        result = null;
        thrown = e.getCause();
      }
      long tookMillis = (System.nanoTime() - t0) / 1_000_000;
      String where = t.name() + " on " + p.name();
      if (thrown == null) {
        Assertions.fail(where + ": returned " + describe(result) + " instead of failing " + t.expected());
      }
      if (!(thrown instanceof InferenceException ie)) {
        throw new AssertionError(where + ": threw " + thrown.getClass().getName() + ", not InferenceException", thrown);
      }
      Assertions.assertEquals(t.expected(), ie.errorType(), where + ": " + ie.getMessage());
      if (t.because() != null) {
        Assertions.assertTrue(String.valueOf(ie.getMessage()).contains(t.because()),
            where + ": " + t.expected() + " for another reason than the one tested: " + ie.getMessage());
      }
      Assertions.assertTrue(tookMillis <= DEADLINE.plus(SLACK).toMillis(),
          where + ": took " + tookMillis + " ms, deadline " + DEADLINE.toMillis() + " ms");
      if (t.atTheDeadline()) {
        Assertions.assertTrue(tookMillis >= DEADLINE.toMillis() * 8 / 10,
            where + ": failed after " + tookMillis + " ms, before the deadline");
      }
      long ended = Eventually.value(ends::size, n -> n >= 1, Duration.ofSeconds(2));
      Assertions.assertEquals(1, ended, where + ": the call should end exactly once: " + ends);
      CallRecord r = ends.get(0);
      Assertions.assertEquals(t.expected(), r.errorType(), where + ": the call ended with another outcome than the caller got");
      Assertions.assertEquals(t.expected() == ErrorType.CANCELLED ? Outcome.CANCELLED : Outcome.ERROR, r.outcome(), where);
      if (!t.atTheDeadline()) {
        if (t.retried()) {
          Assertions.assertTrue(behaviour.requests() > 1, where + ": retryable, but the server saw "
              + behaviour.requests() + " request");
        } else {
          Assertions.assertEquals(1, behaviour.requests(), where + ": not retryable, but the server saw "
              + behaviour.requests() + " requests");
        }
      }
    }
    Assertions.assertEquals(1, ends.size(), t.name() + " on " + p.name() + ": ended again after the caller returned");
  }

  private static String describe(Object result) {
    if (result instanceof byte[] b) {
      return b.length + " bytes";
    }
    String s = String.valueOf(result);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
