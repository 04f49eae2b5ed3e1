package dev.inferscope.core.prometheus;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.InferenceException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.internal.Settings;
import dev.inferscope.core.internal.http.HttpErrors;
import dev.inferscope.core.internal.http.HttpLayer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes a Prometheus {@code /metrics} endpoint in the background and keeps the last good result.
 *
 * <p>Each scrape is an HTTP GET with a timeout and a body-size cap; a failed scrape (connection error,
 * timeout, non-200 status, oversized body) is counted and the last good result is kept, marked
 * {@linkplain #stale() stale}. Listeners see every good result on the scraper's thread. {@link #close()}
 * stops the scraper's thread (and the HTTP client's, when the scraper created it).
 *
 * <pre>{@code
 * try (PrometheusScraper scraper = PrometheusScraper.builder(URI.create("http://triton:8002/metrics"))
 *     .interval(Duration.ofSeconds(5)).build()) {
 *   scraper.addListener(r -> queueDepth.set(r.text().value("nv_inference_pending_request_count").orElse(0)));
 *   scraper.start();
 * }
 * }</pre>
 */
public final class PrometheusScraper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PrometheusScraper.class);

  private final URI uri;
  private final Duration interval;
  private final Duration timeout;
  private final long maxBodyBytes;
  private final InferenceClock clock;
  private final Map<String, String> headers;
  private final HttpLayer http;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final List<Consumer<ScrapeResult>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong successes = new AtomicLong();
  private volatile @Nullable ScrapeResult latest;
  private volatile @Nullable String lastError;
  private volatile boolean lastFailed;
  private volatile @Nullable ScheduledFuture<?> task;
  private volatile boolean closed;

  private PrometheusScraper(Builder b) {
    this.uri = b.uri;
    this.interval = b.interval;
    this.timeout = b.timeout;
    this.maxBodyBytes = b.maxBodyBytes;
    this.clock = b.clock;
    this.headers = Map.copyOf(b.headers);
    // The layer's own timer thread bounds each scrape (headers and a body that trickles): not the
    // scraper's scheduler, whose one thread is the one waiting for the scrape.
    this.http = HttpLayer.builder(b.uri, "the metrics endpoint")
        .httpClient(b.httpClient)
        .connectTimeout(b.timeout)
        .headers(headers)
        .maxResponseBytes(b.maxBodyBytes)
        .statusOverride(METRICS_STATUSES)
        .threadName("inferscope-scraper-timer")
        .build();
    if (b.scheduler != null) {
      this.scheduler = b.scheduler;
      this.ownsScheduler = false;
    } else {
      String name = "inferscope-scraper-" + (uri.getHost() == null ? "local" : uri.getHost());
      this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
      });
      this.ownsScheduler = true;
    }
  }

  /** A builder for a scraper of {@code uri}. */
  public static Builder builder(URI uri) {
    return new Builder(uri);
  }

  /** Starts scraping at the configured interval (the first scrape runs at once). Idempotent. */
  public synchronized PrometheusScraper start() {
    if (closed) {
      throw new IllegalStateException("scraper is closed");
    }
    if (task == null) {
      task = scheduler.scheduleWithFixedDelay(this::scrapeQuietly, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }
    return this;
  }

  private void scrapeQuietly() {
    try {
      scrapeNow();
    } catch (InferenceException e) {
      // counted and remembered in scrapeNow
    } catch (RuntimeException e) {
      LOG.debug("inferscope: scrape of {} failed", uri, e);
    }
  }

  /**
   * Scrapes once, now, on the calling thread.
   *
   * @return the result, also kept as {@link #latest()}
   * @throws InferenceException when the scrape fails (the last good result is kept)
   */
  public ScrapeResult scrapeNow() {
    long start = clock.nanoTime();
    try {
      Deadline deadline = Deadline.after(timeout, clock);
      HttpRequest rq = http.request("", null, deadline).GET()
          // Only the text format 0.0.4: prometheus_client (vLLM's and SGLang's /metrics) answers OpenMetrics
          // whenever it is offered, and from 0.23.0 its OpenMetrics sample names then differ from HELP/TYPE
          // (prometheus/client_python issue #1177). Readers still accept both spellings.
          .setHeader("Accept", "text/plain;version=0.0.4").build();
      try (HttpLayer.Stream resp = http.openStream(rq, deadline, null, true)) {
        InputStream in = resp.body();
        String type = resp.headers().firstValue("Content-Type").orElse("").toLowerCase(java.util.Locale.ROOT);
        if (type.startsWith("text/html") || type.startsWith("application/json")) {
          // a login page, a proxy's error page or an API answer with status 200: not metrics
          throw InferenceException.of(ErrorType.PROTOCOL, "metrics endpoint answered "
              + dev.inferscope.core.MessageScrubber.scrub(type, 64) + ", not Prometheus text");
        }
        CountingInputStream counted = new CountingInputStream(in, maxBodyBytes);
        PrometheusText text;
        try {
          text = PrometheusTextParser.parse(new InputStreamReader(counted, StandardCharsets.UTF_8), Integer.MAX_VALUE);
        } catch (IOException e) {
          throw resp.expired()
              ? InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "metrics scrape timed out after " + timeout, e)
              : InferenceException.of(ErrorType.UNAVAILABLE, "metrics scrape failed: " + e.getClass().getSimpleName(), e);
        }
        if (resp.expired()) {
          throw InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "metrics scrape timed out after " + timeout);
        }
        if (counted.exceeded) {
          throw InferenceException.of(ErrorType.PROTOCOL,
              "metrics body larger than " + maxBodyBytes + " bytes");
        }
        if (text.sampleCount() == 0 && text.badLines() > 0) {
          throw InferenceException.of(ErrorType.PROTOCOL,
              "metrics body is not Prometheus text (" + text.badLines() + " lines did not parse, no sample did)");
        }
        long now = clock.nanoTime();
        ScrapeResult result = new ScrapeResult(text, now, now - start, counted.count);
        latest = result;
        lastFailed = false;
        lastError = null;
        successes.incrementAndGet();
        for (Consumer<ScrapeResult> l : listeners) {
          try {
            l.accept(result);
          } catch (RuntimeException e) {
            LOG.debug("inferscope: scrape listener failed", e);
          }
        }
        return result;
      }
    } catch (InferenceException e) {
      return failed(e);
    }
  }

  private ScrapeResult failed(InferenceException e) {
    failures.incrementAndGet();
    lastFailed = true;
    String msg = e.getMessage();
    if (!Objects.equals(msg, lastError)) {
      LOG.debug("inferscope: scrape of {} failed: {}", uri, msg);
    }
    lastError = msg;
    throw e;
  }

  /**
   * The scraper's reading of statuses: a metrics endpoint that fails on the server side is unavailable
   * for now (its last good result is kept and marked stale), and a 4xx other than the table's own
   * meanings (auth, not found, rate limited) means the URI does not serve metrics.
   */
  static final HttpErrors.Override METRICS_STATUSES = (status, message) -> {
    if (status >= 500) {
      return ErrorType.UNAVAILABLE;
    }
    return switch (status) {
      case 401, 403, 404, 429 -> null;
      default -> ErrorType.PROTOCOL;
    };
  };

  /** The last good result, or {@code null} before the first success. */
  public @Nullable ScrapeResult latest() {
    return latest;
  }

  /** Nanoseconds since the last good result, or -1 when there is none. */
  public long ageNanos() {
    ScrapeResult r = latest;
    return r == null ? -1 : clock.nanoTime() - r.scrapedAtNanos();
  }

  /** Whether the last attempt failed, or the last good result is older than three intervals. */
  public boolean stale() {
    ScrapeResult r = latest;
    return r == null || lastFailed || ageNanos() > 3 * interval.toNanos();
  }

  /** The message of the last failure, or {@code null} when the last scrape succeeded. */
  public @Nullable String lastError() {
    return lastError;
  }

  /** Failed scrapes so far. */
  public long failures() {
    return failures.get();
  }

  /** Successful scrapes so far. */
  public long successes() {
    return successes.get();
  }

  /** The scraped URI. */
  public URI uri() {
    return uri;
  }

  /** Adds a listener told about every good result (on the scraper's thread). */
  public void addListener(Consumer<ScrapeResult> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Stops scraping and releases the threads the scraper owns. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(true);
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
      try {
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    http.close(); // closes the HTTP client only if the layer built it; never a caller's
  }

  @Override
  public String toString() {
    return "PrometheusScraper[" + uri.getScheme() + "://" + uri.getHost() + ":" + uri.getPort() + uri.getPath()
        + ", interval=" + interval + "]";
  }

  private static final class CountingInputStream extends java.io.FilterInputStream {
    private final long max;
    long count;
    boolean exceeded;

    CountingInputStream(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      if (count >= max) {
        exceeded = true;
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (count >= max) {
        exceeded = in.read() >= 0;
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, max - count));
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }

  /** Builds a {@link PrometheusScraper}. */
  public static final class Builder {
    private final URI uri;
    private Duration interval = Duration.ofSeconds(15);
    private Duration timeout = Duration.ofSeconds(5);
    private long maxBodyBytes = 16L << 20;
    private InferenceClock clock = InferenceClock.system();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private @Nullable HttpClient httpClient;
    private @Nullable ScheduledExecutorService scheduler;

    private Builder(URI uri) {
      this.uri = Settings.httpUri("metrics URI", uri);
    }

    /** Time between scrapes; default 15 s. */
    public Builder interval(Duration interval) {
      this.interval = Settings.positive("interval", interval);
      return this;
    }

    /** Timeout of one scrape; default 5 s. */
    public Builder timeout(Duration timeout) {
      this.timeout = Settings.positive("timeout", timeout);
      return this;
    }

    /** The largest body read; default 16 MiB. */
    public Builder maxBodyBytes(long maxBodyBytes) {
      this.maxBodyBytes = Settings.positive("maxBodyBytes", maxBodyBytes);
      return this;
    }

    public Builder clock(InferenceClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** An extra request header (e.g. Authorization); its value is never logged. */
    public Builder header(String name, String value) {
      headers.put(Settings.headerName("header", name), Settings.headerValue("header", name, value));
      return this;
    }

    /** The HTTP client to use (not closed by the scraper); default a new one. */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    /** The scheduler to run on (not shut down by the scraper); default a daemon thread of its own. */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = scheduler;
      return this;
    }

    public PrometheusScraper build() {
      return new PrometheusScraper(this);
    }
  }
}
