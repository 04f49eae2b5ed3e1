package dev.inferscope.benchmarks;

import dev.inferscope.core.ResiliencePolicy;
import dev.inferscope.vllm.ChatRequest;
import dev.inferscope.vllm.CompletionStream;
import dev.inferscope.vllm.VllmClient;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The wall time of one short streamed chat completion (request out, every event in, {@code [DONE]}, end
 * of the body) from a simulator that answers at once, in a child JVM, on one kept-alive connection: the
 * part of a stream that no server timing covers and that a call's {@code network} phase holds. Sampled
 * ({@link Mode#SampleTime}), so the table shows p50 and p99 and their ratios to the baseline of the same
 * run:
 *
 * <ul>
 *   <li>{@code socket}: the floor — a blocking {@link Socket} (TCP_NODELAY) that writes the request and
 *       reads the chunked response on the calling thread, no HTTP library;
 *   <li>{@code jdk}: the JDK {@link HttpClient} as Inferscope's HTTP layer configures it (HTTP/1.1, the
 *       selector thread hands bytes on), body read as an {@code InputStream};
 *   <li>{@code inferscope}: {@link VllmClient#chatStream} with full telemetry (span, meters, log line),
 *       which also encodes the request and decodes every event.
 * </ul>
 *
 * <p>{@code jdk / socket} is what the JDK client's thread hand-offs cost per stream; {@code inferscope /
 * jdk} what the library adds on top. With {@code idleMicros} the threads are parked when each stream
 * starts, and the figures include the machine's thread wake-ups.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StreamRoundTripBenchmark {
  private static final String MODEL = "sim-llm";
  /** Back-to-back streams before a trial with idle gaps, so that the JIT has compiled the path. */
  private static final long WARM_NANOS = TimeUnit.SECONDS.toNanos(10);

  @Param({"socket", "jdk", "inferscope"})
  public String client;

  /** Output tokens per stream. */
  @Param({"1"})
  public int tokens;

  /**
   * Idle time before each stream, in microseconds, outside the measured time: 0 runs streams back to
   * back (every thread stays hot); with a gap the client's, the HTTP client's and the server's threads
   * are parked when a stream starts, as between the calls of a real application, and each hand-off then
   * includes a thread wake-up.
   */
  @Param({"0", "5000"})
  public int idleMicros;

  private SimulatorProcess simulator;
  private OpenTelemetrySdk sdk;
  private Streamer streamer;

  /** One client on one simulator: streams one completion to its end and returns the bytes or events read. */
  private interface Streamer extends AutoCloseable {
    long stream() throws IOException, InterruptedException;

    @Override
    void close() throws IOException;
  }

  @Setup(Level.Trial)
  public void setup() throws IOException {
    simulator = new SimulatorProcess(tokens);
    URI base = URI.create("http://127.0.0.1:" + simulator.port());
    streamer = switch (client) {
      case "socket" -> new SocketStreamer(simulator.port());
      case "jdk" -> jdk(base);
      case "inferscope" -> inferscope(base);
      default -> throw new IllegalArgumentException("unknown client " + client);
    };
    if (idleMicros > 0) {
      // with idle gaps a few thousand streams run per trial: too few to warm the path up by themselves
      long end = System.nanoTime() + WARM_NANOS;
      try {
        while (System.nanoTime() < end) {
          streamer.stream();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while warming up", e);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    streamer.close();
    simulator.close();
    if (sdk != null) {
      sdk.close();
    }
  }

  /** The idle gap (not measured: JMH times only the benchmark method). */
  @Setup(Level.Invocation)
  public void idle() {
    if (idleMicros > 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(idleMicros));
    }
  }

  @Benchmark
  public long stream() throws IOException, InterruptedException {
    return streamer.stream();
  }

  private static byte[] body() {
    // the same request the Inferscope client sends for this ChatRequest (stream, usage in the last chunk)
    return ("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}").getBytes(StandardCharsets.UTF_8);
  }

  private static Streamer jdk(URI base) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Runnable::run).build();
    HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body())).build();
    byte[] sink = new byte[8192];
    return new Streamer() {
      @Override
      public long stream() throws IOException, InterruptedException {
        HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        long n = 0;
        try (InputStream in = r.body()) {
          int k;
          while ((k = in.read(sink)) >= 0) {
            n += k;
          }
        }
        return n;
      }

      @Override
      public void close() {
        // the JDK 17 client has no close; its threads end when it is collected
      }
    };
  }

  private Streamer inferscope(URI base) {
    sdk = Fixtures.sdk();
    VllmClient c = VllmClient.builder(base).telemetry(Fixtures.fullTelemetry(sdk, Fixtures.prometheus()))
        .resilience(ResiliencePolicy.defaults()).roundTripProbeInterval(java.time.Duration.ZERO).build();
    ChatRequest request = ChatRequest.builder(MODEL).user("hi").build();
    return new Streamer() {
      @Override
      public long stream() {
        long n = 0;
        try (CompletionStream s = c.chatStream(request)) {
          while (s.hasNext()) {
            s.next();
            n++;
          }
        }
        return n;
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  /**
   * The floor: HTTP/1.1 by hand on one blocking socket. Writes the request in one write and reads the
   * status line, the headers and the chunked body to its last chunk, all on the calling thread. Only
   * what this simulator sends is handled (200, chunked, keep-alive); anything else fails the benchmark.
   */
  private static final class SocketStreamer implements Streamer {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final byte[] request;

    SocketStreamer(int port) throws IOException {
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(10_000);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 16 << 10);
      byte[] b = body();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      head.writeBytes(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port
          + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      head.writeBytes(b);
      request = head.toByteArray();
    }

    @Override
    public long stream() throws IOException {
      out.write(request);
      out.flush();
      String status = line();
      if (!status.startsWith("HTTP/1.1 200")) {
        throw new IOException("unexpected status: " + status);
      }
      boolean chunked = false;
      for (String h = line(); !h.isEmpty(); h = line()) {
        chunked |= h.toLowerCase(java.util.Locale.ROOT).startsWith("transfer-encoding:") && h.contains("chunked");
      }
      if (!chunked) {
        throw new IOException("expected a chunked body");
      }
      long n = 0;
      while (true) {
        String size = line();
        int semicolon = size.indexOf(';');
        int len = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
        if (len == 0) {
          line(); // the empty line after the last chunk (no trailers)
          return n;
        }
        in.skipNBytes(len);
        n += len;
        line();
      }
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder(64);
      int c;
      while ((c = in.read()) >= 0) {
        if (c == '\n') {
          int end = sb.length();
          return end > 0 && sb.charAt(end - 1) == '\r' ? sb.substring(0, end - 1) : sb.toString();
        }
        sb.append((char) c);
      }
      throw new UncheckedIOException(new IOException("connection closed mid-response"));
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
