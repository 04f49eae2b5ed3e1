package dev.inferscope.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * HTTP/1.1 behaviours of a hostile server, for {@link FaultyServer}: each reads a whole request (head
 * and {@code Content-Length} body) and then answers in a way no well-behaved server would — headers and
 * then silence, a body that trickles, a body far over any cap, a body that claims gzip and is not, an
 * error status. Responses are written byte for byte as given, so the client meets exactly what the test
 * says. {@link #requests()} counts the requests read, across connections (retries show as more than one).
 */
public final class HostileHttp implements FaultyServer.Behaviour {
  /** What to do once a request has been read. */
  @FunctionalInterface
  public interface Answer {
    void answer(OutputStream out) throws IOException;
  }

  private final Answer answer;
  private final AtomicInteger requests = new AtomicInteger();

  private HostileHttp(Answer answer) {
    this.answer = answer;
  }

  /** A behaviour that answers every request with {@code answer} and then closes the connection. */
  public static HostileHttp answering(Answer answer) {
    return new HostileHttp(answer);
  }

  /** Requests read so far. */
  public int requests() {
    return requests.get();
  }

  @Override
  public void serve(InputStream in, OutputStream out) throws IOException {
    readRequest(in);
    requests.incrementAndGet();
    answer.answer(out);
    out.flush();
  }

  /** Reads one request: the head, then as many body bytes as its {@code Content-Length} says. */
  static void readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed in the request head");
      }
      head.write(c);
      boolean advance = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3));
      state = advance ? state + 1 : (c == '\r' ? 1 : 0);
    }
    long length = 0;
    for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Long.parseLong(line.substring(15).trim());
      }
    }
    in.skipNBytes(length);
  }

  /** A status line and headers ({@code name: value} pairs), then the empty line. */
  public static byte[] head(int status, String... headers) {
    StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      sb.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    return sb.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 404 -> "Not Found";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  /** Parks the connection's thread until the server closes (a peer that went silent). */
  public static void silence() {
    while (!Thread.currentThread().isInterrupted()) {
      LockSupport.parkNanos(1_000_000_000L);
    }
  }

  /** Headers that promise a body of {@code declaredLength} bytes, then nothing. */
  public static Answer headersThenSilence(int status, String contentType, long declaredLength) {
    return out -> {
      out.write(head(status, "Content-Type", contentType, "Content-Length", Long.toString(declaredLength)));
      out.flush();
      silence();
    };
  }

  /** A body of {@code length} bytes of {@code fill}, written one byte every {@code gapMillis}. */
  public static Answer trickle(int status, String contentType, long length, byte fill, long gapMillis) {
    return out -> {
      out.write(head(status, "Content-Type", contentType, "Content-Length", Long.toString(length)));
      out.flush();
      for (long i = 0; i < length && !Thread.currentThread().isInterrupted(); i++) {
        out.write(fill);
        out.flush();
        LockSupport.parkNanos(gapMillis * 1_000_000L);
      }
    };
  }

  /** A whole response: head and {@code body} (with its true Content-Length), then the connection closes. */
  public static Answer body(int status, byte[] body, String... headers) {
    return out -> {
      String[] h = Arrays.copyOf(headers, headers.length + 2);
      h[headers.length] = "Content-Length";
      h[headers.length + 1] = Integer.toString(body.length);
      out.write(head(status, h));
      out.write(body);
    };
  }

  /** {@code size} bytes: a JSON string member {@code {"x":"aaa...` that never closes (cut at the size). */
  public static byte[] oversizedJson(int size) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) 'a');
    byte[] start = "{\"x\":\"".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(start, 0, b, 0, start.length);
    return b;
  }

  /** One server-sent event whose data line is {@code size} bytes, unterminated by a blank line. */
  public static byte[] oversizedEvent(int size) {
    byte[] b = new byte[size];
    Arrays.fill(b, (byte) 'a');
    byte[] start = "data: ".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(start, 0, b, 0, start.length);
    return b;
  }
}
