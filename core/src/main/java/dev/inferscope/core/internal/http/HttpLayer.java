package dev.inferscope.core.internal.http;

import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.TransportErrors;
import dev.inferscope.core.internal.WindowedBodySubscriber;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Inferscope's one HTTP layer: {@link #send}, {@link #sendAsync} and {@link #openStream} over one
 * {@link HttpClient}, each with the same guarantees, so a new call path inherits them:
 *
 * <ul>
 *   <li><b>one deadline</b> for the whole exchange — connecting, the request, the response headers, an
 *       error body and a body that trickles in. The JDK client's own request timeout ends with the
 *       headers; here a timer armed before sending cancels the exchange at the deadline (and closes a
 *       stream's body while it is still being handed over), and the failure is DEADLINE_EXCEEDED on
 *       every path;
 *   <li><b>one size cap</b>, applied after decompression on every path; a body past it is cancelled while
 *       it arrives (never buffered whole) and fails PROTOCOL, not retried. Error bodies are read up to
 *       {@link HttpErrors#MAX_ERROR_BODY} for their message;
 *   <li><b>one classification</b> of statuses ({@link HttpErrors}, with the system's override) and of
 *       transport failures ({@link TransportErrors}); a body that claims gzip and is not is PROTOCOL;
 *   <li><b>one set of headers</b>: the configured ones, then per call {@code traceparent} (and the other
 *       propagation headers) from the {@link Call};
 *   <li><b>one rule for the client</b>: an {@link HttpClient} the caller supplies is never closed here;
 *       one this layer built is closed with it (Java 21+; on 17 its threads end when it is collected).
 * </ul>
 *
 * <p>Thread-safe. Internal API: not for use outside Inferscope, may change without notice.
 */
public final class HttpLayer implements AutoCloseable {
  private final URI base;
  private final String server;
  private final HttpClient http;
  private final boolean ownsHttp;
  private final Map<String, String> headers;
  private final long maxResponseBytes;
  private final HttpErrors.Override override;
  private final ScheduledExecutorService timers;
  private final boolean ownsTimers;
  private final AtomicBoolean closed = new AtomicBoolean();

  private HttpLayer(Builder b) {
    String s = b.base.toString();
    this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.server = b.server;
    this.headers = Map.copyOf(b.headers);
    // a byte[] holds at most Integer.MAX_VALUE - 8 bytes: a larger cap is that cap, never an overflow
    this.maxResponseBytes = Math.min(b.maxResponseBytes, Integer.MAX_VALUE - 8L);
    this.override = b.override;
    if (b.httpClient != null) {
      this.http = b.httpClient;
      this.ownsHttp = false;
    } else {
      HttpClient.Builder hb = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(b.connectTimeout);
      if (b.directExecutor) {
        // Response bytes are handed on by the client's selector thread itself, not a pool thread: every
        // body subscriber used here only queues or copies (never blocks), and one hop less is ~1 ms less
        // on a measured time to first token on a busy 2-core machine. Dependent stages of sendAsync still
        // run off the selector thread (the JDK moves them to its async pool).
        hb.executor(Runnable::run);
      }
      if (b.sslContext != null) {
        hb.sslContext(b.sslContext);
      }
      this.http = hb.build();
      this.ownsHttp = true;
    }
    if (b.timers != null) {
      this.timers = b.timers;
      this.ownsTimers = false;
    } else {
      AtomicInteger n = new AtomicInteger();
      String name = b.threadName;
      ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
        Thread th = new Thread(r, name + "-" + n.incrementAndGet());
        th.setDaemon(true);
        return th;
      });
      t.setRemoveOnCancelPolicy(true); // a finished exchange cancels its timer: drop it at once
      this.timers = t;
      this.ownsTimers = true;
    }
  }

  /** A builder for a layer over the server at {@code base}, named {@code server} in messages. */
  public static Builder builder(URI base, String server) {
    return new Builder(base, server);
  }

  /** {@code path} (starting with {@code /}) under the base URI. */
  public URI uri(String path) {
    return URI.create(base + path);
  }

  /** The base URI, without a trailing slash. */
  public URI base() {
    return base;
  }

  /** The size cap on response bodies (and on one streamed event, for stream readers). */
  public long maxResponseBytes() {
    return maxResponseBytes;
  }

  /** The timer thread the layer arms deadlines on; stream readers may use it for their own timers. */
  public ScheduledExecutorService timers() {
    return timers;
  }

  /**
   * A request to {@code path} with the configured headers, the call's propagation headers (when
   * {@code call} is not null) and the deadline as the JDK client's request timeout.
   */
  public HttpRequest.Builder request(String path, @Nullable Call call, @Nullable Deadline deadline) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    headers.forEach(b::setHeader);
    if (call != null) {
      call.inject(b, (carrier, k, v) -> {
        if (carrier != null) {
          carrier.setHeader(k, v);
        }
      });
    }
    if (deadline != null) {
      b.timeout(deadline.toHttpTimeout());
    }
    return b;
  }

  /** A whole response: status, headers and the body (decompressed, within the cap). */
  public record Response(int status, HttpHeaders headers, byte[] body) {
    /** The first value of header {@code name}, or null. */
    public @Nullable String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  /**
   * One exchange of a whole body: the bounded body subscriber (made when the headers arrive) and the
   * deadline. At the deadline the body is aborted (and, async, the exchange cancelled); a subscriber made
   * after that starts aborted.
   */
  private final class Exchange {
    final AtomicBoolean expired = new AtomicBoolean();
    final AtomicReference<@Nullable BoundedBodySubscriber> body = new AtomicReference<>();
    final HttpResponse.BodyHandler<byte[]> handler = info -> {
      boolean ok = info.statusCode() >= 200 && info.statusCode() < 300;
      long length = info.headers().firstValueAsLong("Content-Length").orElse(-1);
      BoundedBodySubscriber s = new BoundedBodySubscriber(ok ? maxResponseBytes : HttpErrors.MAX_ERROR_BODY, !ok, length);
      body.set(s);
      if (expired.get()) {
        s.abort();
      }
      return s;
    };
    private @Nullable ScheduledFuture<?> timer;

    /** Arms the deadline (nothing without one); {@code alsoAtDeadline} runs before the body is aborted. */
    void arm(@Nullable Deadline deadline, @Nullable Runnable alsoAtDeadline) {
      this.timer = deadline == null ? null : timers.schedule(() -> {
        expired.set(true);
        if (alsoAtDeadline != null) {
          alsoAtDeadline.run();
        }
        abortBody();
      }, Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    }

    void abortBody() {
      BoundedBodySubscriber s = body.get();
      if (s != null) {
        s.abort();
      }
    }

    void disarm() {
      if (timer != null) {
        timer.cancel(false);
      }
    }

    /** A failure of the exchange, classified; the deadline wins over what it caused. */
    InferenceException failure(Throwable t) {
      return expired.get() ? expired("the response") : TransportErrors.http(t, server);
    }

    /** The response with its body decoded (a success body within the cap, an error body as it is). */
    Response response(HttpResponse<byte[]> r) {
      boolean ok = r.statusCode() >= 200 && r.statusCode() < 300;
      byte[] b = ok ? decoded(r.headers(), r.body(), maxResponseBytes) : decodedOrRaw(r.headers(), r.body());
      return new Response(r.statusCode(), r.headers(), b);
    }
  }

  /**
   * Sends and reads the whole response within {@code deadline}, blocking on the calling thread (as the
   * JDK's {@code send}: no hand-off to a pool thread on the way back). Statuses are not judged here: see
   * {@link #error(Response)}. The request's own timeout ({@link #request}) bounds the headers; the
   * deadline timer bounds the body.
   *
   * @throws InferenceException DEADLINE_EXCEEDED, UNAVAILABLE (transport), PROTOCOL (cap, bad gzip),
   *     CANCELLED (interrupted: the exchange is cancelled)
   */
  public Response send(HttpRequest request, @Nullable Deadline deadline) {
    Exchange x = new Exchange();
    x.arm(deadline, null);
    try {
      return x.response(http.send(request, x.handler));
    } catch (IOException e) {
      throw x.failure(e);
    } catch (InterruptedException e) {
      x.abortBody();
      Thread.currentThread().interrupt();
      throw InferenceException.of(ErrorType.CANCELLED, "interrupted while waiting for " + server, e);
    } catch (RuntimeException e) { // a closed client, an unsupported request
      throw x.failure(e);
    } finally {
      x.disarm();
    }
  }

  /**
   * As {@link #send}, without blocking: the future completes with the response or an
   * {@link InferenceException}; cancelling it cancels the exchange.
   */
  public CompletableFuture<Response> sendAsync(HttpRequest request, @Nullable Deadline deadline) {
    Exchange x = new Exchange();
    CompletableFuture<HttpResponse<byte[]>> f;
    try {
      f = http.sendAsync(request, x.handler);
    } catch (RuntimeException e) { // a closed client, an unsupported request
      return CompletableFuture.failedFuture(TransportErrors.http(e, server));
    }
    CompletableFuture<Response> out = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        f.cancel(true); // aborts the exchange (JDK 16+), headers or body
        x.abortBody();
        return super.cancel(mayInterruptIfRunning);
      }
    };
    x.arm(deadline, () -> {
      out.completeExceptionally(expired("the response"));
      f.cancel(true);
    });
    f.whenComplete((r, t) -> {
      x.disarm();
      if (out.isDone()) {
        return;
      }
      try {
        if (t != null) {
          throw x.failure(t);
        }
        out.complete(x.response(r));
      } catch (RuntimeException e) {
        out.completeExceptionally(InferenceException.from(e));
      }
    });
    return out;
  }

  /**
   * {@link #sendAsync} with the response turned into a result by {@code decode} (which may throw); the
   * returned future, unlike one from {@code thenApply}, cancels the exchange when it is cancelled.
   */
  public <T> CompletableFuture<T> sendAsync(HttpRequest request, @Nullable Deadline deadline,
      java.util.function.Function<Response, T> decode) {
    return dev.inferscope.core.internal.Futures.map(sendAsync(request, deadline), decode);
  }

  /**
   * A response whose body is read as it arrives; close it (from any thread) to abort the exchange. When
   * opened with the body within the deadline, the deadline closes the body and {@link #expired()} says so.
   */
  public static final class Stream implements AutoCloseable {
    private final int status;
    private final HttpHeaders headers;
    private final InputStream body;
    private final InputStream raw;
    private final AtomicBoolean expired;
    private volatile @Nullable ScheduledFuture<?> timer;

    Stream(int status, HttpHeaders headers, InputStream body, InputStream raw, AtomicBoolean expired) {
      this.status = status;
      this.headers = headers;
      this.body = body;
      this.raw = raw;
      this.expired = expired;
    }

    public int status() {
      return status;
    }

    public HttpHeaders headers() {
      return headers;
    }

    public InputStream body() {
      return body;
    }

    /** Whether the deadline closed the body. */
    public boolean expired() {
      return expired.get();
    }

    /**
     * When the bytes the body's reader has reached arrived at the client (see
     * {@link WindowedBodySubscriber#arrivalNanos}), on the clock of the call the stream was opened for
     * ({@link System#nanoTime()} without one); -1 before the first read. For a compressed body, the
     * arrival of the compressed bytes read last, which can be later than those of the text just decoded.
     */
    public long arrivalNanos() {
      return WindowedBodySubscriber.arrivalNanos(raw);
    }

    @Override
    public void close() {
      ScheduledFuture<?> t = timer;
      if (t != null) {
        t.cancel(false);
      }
      try {
        body.close();
      } catch (IOException ignored) {
        // closing aborts the exchange; nothing more to do
      }
    }
  }

  /**
   * Sends and waits, within {@code deadline}, for a 200 response whose body is then read by the caller
   * (server-sent events, a body parsed as it arrives). Any other status is read as an error body
   * (within the same deadline) and thrown. From the moment it returns, the deadline of the body is the
   * reader's to keep (the stream readers arm their own idle and deadline timers). The status is recorded
   * on {@code call} when given.
   *
   * @throws InferenceException as {@link #send}, and the classified error for a status other than 200
   */
  public Stream openStream(HttpRequest request, @Nullable Deadline deadline, @Nullable Call call) {
    return openStream(request, deadline, call, false);
  }

  /**
   * As {@link #openStream(HttpRequest, Deadline, Call)}; with {@code bodyWithinDeadline} the deadline
   * also bounds reading the body: at the deadline the body is closed (a read then fails) and
   * {@link Stream#expired()} is true.
   */
  public Stream openStream(HttpRequest request, @Nullable Deadline deadline, @Nullable Call call,
      boolean bodyWithinDeadline) {
    // The headers are bounded by the request's own timeout (set from the deadline by request()); from
    // the moment there is a body, the timer closes it at the deadline. The blocking send hands the
    // headers straight to this thread (no pool thread in between: it is on every stream's first token).
    AtomicBoolean expired = new AtomicBoolean();
    AtomicReference<@Nullable InputStream> bodyRef = new AtomicReference<>();
    ScheduledFuture<?> timer = deadline == null ? null : timers.schedule(() -> {
      expired.set(true);
      InputStream in = bodyRef.get();
      if (in != null) {
        closeQuietly(in);
      }
    }, Math.max(0, deadline.remainingNanos()), TimeUnit.NANOSECONDS);
    InputStream in = null;
    boolean handedOver = false;
    try {
      HttpResponse<InputStream> r;
      try {
        r = http.send(request, call == null ? WindowedBodySubscriber.handler()
            : WindowedBodySubscriber.handler(call.clock()::nanoTime));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw InferenceException.of(ErrorType.CANCELLED, "interrupted while waiting for " + server, e);
      } catch (IOException | RuntimeException e) {
        throw expired.get() ? expired("the response headers") : TransportErrors.http(e, server);
      }
      in = r.body();
      bodyRef.set(in);
      if (expired.get()) {
        throw expired("the response headers");
      }
      if (call != null) {
        call.httpStatusCode(r.statusCode());
      }
      if (r.statusCode() != 200) {
        byte[] err;
        try (InputStream e = in) {
          err = e.readNBytes(HttpErrors.MAX_ERROR_BODY);
        } catch (IOException e) {
          if (expired.get()) {
            throw expired("the error body");
          }
          err = new byte[0];
        }
        if (expired.get()) {
          throw expired("the error body");
        }
        throw error(r.statusCode(), r.headers(), decodedOrRaw(r.headers(), err));
      }
      InputStream body = in;
      if (isGzip(r.headers())) {
        try {
          body = new GZIPInputStream(in);
        } catch (IOException e) {
          closeQuietly(in);
          throw expired.get() ? expired("the response body") : notGzip(e);
        }
      } else if (!isIdentity(r.headers())) {
        closeQuietly(in);
        throw unsupportedEncoding(r.headers());
      }
      Stream s = new Stream(r.statusCode(), r.headers(), body, in, expired);
      in = null; // handed over
      if (bodyWithinDeadline) {
        s.timer = timer;
        handedOver = true;
      }
      return s;
    } finally {
      if (timer != null && !handedOver) {
        timer.cancel(false);
      }
      if (in != null) {
        closeQuietly(in);
      }
    }
  }

  /**
   * {@code r} when its status is 200, recorded on {@code call} with the body's size; otherwise the
   * classified error (the status recorded too).
   */
  public Response ok(Call call, Response r) {
    call.httpStatusCode(r.status());
    if (r.status() != 200) {
      throw error(r);
    }
    call.responseBytes(r.body().length);
    return r;
  }

  /** The classified error for a response whose status is not what the operation expects. */
  public InferenceException error(Response r) {
    return error(r.status(), r.headers(), r.body());
  }

  private InferenceException error(int status, HttpHeaders headers, byte[] body) {
    return HttpErrors.fromResponse(server, status, body, headers.firstValue("Retry-After").orElse(null), override);
  }

  private static InferenceException expired(String what) {
    return InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "deadline expired while waiting for " + what);
  }

  private static byte[] decoded(HttpHeaders h, byte[] body, long cap) {
    if (isGzip(h)) {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
        byte[] out = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8L, cap + 1));
        if (out.length > cap) {
          throw InferenceException.builder(ErrorType.PROTOCOL, "response larger than " + cap + " bytes once decompressed")
              .retryable(false).build();
        }
        return out;
      } catch (IOException e) {
        throw notGzip(e);
      }
    }
    if (!isIdentity(h)) {
      throw unsupportedEncoding(h);
    }
    return body;
  }

  /** An error body decoded when it can be; its message is all that is wanted from it. */
  private static byte[] decodedOrRaw(HttpHeaders h, byte[] body) {
    try {
      return decoded(h, body, HttpErrors.MAX_ERROR_BODY);
    } catch (InferenceException e) {
      return body;
    }
  }

  private static boolean isGzip(HttpHeaders h) {
    return h.firstValue("Content-Encoding").map(v -> v.trim().equalsIgnoreCase("gzip")).orElse(false);
  }

  private static boolean isIdentity(HttpHeaders h) {
    String v = h.firstValue("Content-Encoding").orElse("").trim().toLowerCase(Locale.ROOT);
    return v.isEmpty() || v.equals("identity");
  }

  private static InferenceException notGzip(IOException e) {
    return InferenceException.builder(ErrorType.PROTOCOL, "response says Content-Encoding gzip but is not valid gzip")
        .cause(e).retryable(false).build();
  }

  private static InferenceException unsupportedEncoding(HttpHeaders h) {
    return InferenceException.builder(ErrorType.PROTOCOL, "response has an unsupported Content-Encoding ("
        + dev.inferscope.core.MessageScrubber.scrub(h.firstValue("Content-Encoding").orElse(""), 32) + ")")
        .retryable(false).build();
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // closing aborts the exchange
    }
  }

  /** Closes what the layer created: its timer thread and its own HTTP client, never a caller's. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (ownsTimers) {
      timers.shutdownNow();
    }
    if (ownsHttp && http instanceof AutoCloseable c) { // HttpClient is AutoCloseable from Java 21 on
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  /** Builds an {@link HttpLayer}. */
  public static final class Builder {
    private final URI base;
    private final String server;
    private @Nullable HttpClient httpClient;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private @Nullable SSLContext sslContext;
    private boolean directExecutor;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private long maxResponseBytes = 64L << 20;
    private HttpErrors.Override override = HttpErrors.NONE;
    private @Nullable ScheduledExecutorService timers;
    private String threadName = "inferscope-http-timer";

    private Builder(URI base, String server) {
      this.base = Objects.requireNonNull(base, "base");
      this.server = Objects.requireNonNull(server, "server");
    }

    /** The caller's client (never closed by the layer); connect timeout and TLS context then do not apply. */
    public Builder httpClient(@Nullable HttpClient client) {
      this.httpClient = client;
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Objects.requireNonNull(timeout, "connectTimeout");
      return this;
    }

    public Builder sslContext(@Nullable SSLContext context) {
      this.sslContext = context;
      return this;
    }

    /** The layer's own client hands bytes on from its selector thread (see the constructor). */
    public Builder directExecutor(boolean direct) {
      this.directExecutor = direct;
      return this;
    }

    /** Headers on every request (set, not added: a later value for the same name wins). */
    public Builder headers(Map<String, String> values) {
      headers.putAll(values);
      return this;
    }

    public Builder maxResponseBytes(long bytes) {
      this.maxResponseBytes = dev.inferscope.core.internal.Settings.positive("maxResponseBytes", bytes);
      return this;
    }

    public Builder statusOverride(HttpErrors.Override override) {
      this.override = Objects.requireNonNull(override, "override");
      return this;
    }

    /** A timer executor to share (not shut down by the layer); without one the layer starts its own. */
    public Builder timers(@Nullable ScheduledExecutorService timers) {
      this.timers = timers;
      return this;
    }

    /** The name of the layer's own timer thread. */
    public Builder threadName(String name) {
      this.threadName = Objects.requireNonNull(name, "name");
      return this;
    }

    public HttpLayer build() {
      return new HttpLayer(this);
    }
  }
}
