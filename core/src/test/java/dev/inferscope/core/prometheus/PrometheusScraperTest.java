package dev.inferscope.core.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PrometheusScraperTest {
  private HttpServer server;
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicReference<String> body = new AtomicReference<>("up 1\n");
  private final CountDownLatch release = new CountDownLatch(1);
  private volatile boolean slow;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/metrics", ex -> {
      try {
        if (slow) {
          release.await(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status.get(), b.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      } catch (IOException ignored) {
        // client gave up
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
  }

  private URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics");
  }

  @Test
  void keepsTheLastGoodResultAndMarksStaleness() {
    try (PrometheusScraper scraper = PrometheusScraper.builder(uri()).timeout(Duration.ofSeconds(2)).build()) {
      assertThat(scraper.latest()).isNull();
      assertThat(scraper.stale()).isTrue();
      body.set("nv_inference_pending_request_count{model=\"m\"} 7\n");
      ScrapeResult ok = scraper.scrapeNow();
      assertThat(ok.text().value("nv_inference_pending_request_count").getAsDouble()).isEqualTo(7);
      assertThat(scraper.stale()).isFalse();
      assertThat(scraper.ageNanos()).isGreaterThanOrEqualTo(0);

      status.set(500);
      assertThatThrownBy(scraper::scrapeNow).isInstanceOf(InferenceException.class)
          .satisfies(e -> assertThat(((InferenceException) e).errorType()).isEqualTo(ErrorType.UNAVAILABLE));
      assertThat(scraper.latest()).isSameAs(ok);
      assertThat(scraper.stale()).isTrue();
      assertThat(scraper.failures()).isEqualTo(1);

      status.set(200);
      body.set("junk line here\nnv_inference_pending_request_count{model=\"m\"} 9\n");
      ScrapeResult again = scraper.scrapeNow();
      assertThat(again.text().badLines()).isEqualTo(1);
      assertThat(again.text().value("nv_inference_pending_request_count").getAsDouble()).isEqualTo(9);
      assertThat(scraper.stale()).isFalse();
    }
  }

  @Test
  void slowServerTimesOut() {
    slow = true;
    try (PrometheusScraper scraper = PrometheusScraper.builder(uri()).timeout(Duration.ofMillis(300)).build()) {
      assertThatThrownBy(scraper::scrapeNow).isInstanceOf(InferenceException.class)
          .satisfies(e -> assertThat(((InferenceException) e).errorType()).isEqualTo(ErrorType.DEADLINE_EXCEEDED));
    }
  }

  @Test
  void oversizedBodyIsRejected() {
    body.set("x 1\n".repeat(1000));
    try (PrometheusScraper scraper = PrometheusScraper.builder(uri()).maxBodyBytes(100).build()) {
      assertThatThrownBy(scraper::scrapeNow).isInstanceOf(InferenceException.class)
          .satisfies(e -> assertThat(((InferenceException) e).errorType()).isEqualTo(ErrorType.PROTOCOL));
    }
  }

  @Test
  void stoppedServerIsUnavailable() {
    URI u = uri();
    server.stop(0);
    try (PrometheusScraper scraper = PrometheusScraper.builder(u).timeout(Duration.ofSeconds(2)).build()) {
      assertThatThrownBy(scraper::scrapeNow).isInstanceOf(InferenceException.class)
          .satisfies(e -> assertThat(((InferenceException) e).errorType()).isEqualTo(ErrorType.UNAVAILABLE));
    }
  }

  @Test
  void backgroundScrapingNotifiesListenersAndCloseLeavesNoThread() throws Exception {
    CountDownLatch twice = new CountDownLatch(2);
    PrometheusScraper scraper = PrometheusScraper.builder(uri()).interval(Duration.ofMillis(20)).build();
    scraper.addListener(r -> twice.countDown());
    scraper.start();
    assertThat(twice.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(scraperThreads()).isGreaterThan(0);
    scraper.close();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (scraperThreads() > 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(scraperThreads()).isZero();
    assertThatThrownBy(scraper::start).isInstanceOf(IllegalStateException.class);
  }

  private static long scraperThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("inferscope-scraper-") && t.isAlive()).count();
  }
}
