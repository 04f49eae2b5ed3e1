package dev.inferscope.testkit.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;

/**
 * A small HTTP/1.1 server for the simulators (vLLM and Triton): one blocking thread per connection, keep-alive, fixed
 * length or chunked bodies both ways, optional TLS.
 *
 * <p>It exists because the JDK's {@code HttpServer} hands every request from its selector thread to a
 * worker thread before the handler sees it; on a small shared machine that hop alone costs up to a
 * millisecond that a client would wrongly count as the server's time to first token. Here the thread
 * that reads the request runs the handler, and each {@code flush()} of a response body is one socket
 * write (one chunk), with {@code TCP_NODELAY} set.
 *
 * <p>Handlers are ordinary {@link HttpHandler}s; the exchange supports what the simulator uses. A handler
 * may call {@link #abort(HttpExchange)} to drop the connection without ending the response (a server
 * that dies mid-stream), or {@link #reset(HttpExchange)} to drop it with a TCP reset.
 */
public final class LeanHttpServer implements AutoCloseable {

  private static final int MAX_HEAD_BYTES = 64 * 1024;

  private final ServerSocket socket;
  private final HttpHandler handler;
  private final String threadPrefix;
  private final Map<Socket, Thread> connections = new ConcurrentHashMap<>();
  private final AtomicInteger threadIds = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();
  private final Thread acceptor;
  private volatile boolean closed;

  /** Starts serving on 127.0.0.1 and an ephemeral port; {@code tls} null for plain HTTP. */
  public LeanHttpServer(@Nullable SSLContext tls, int backlog, String threadPrefix, HttpHandler handler)
      throws IOException {
    this.handler = handler;
    this.threadPrefix = threadPrefix;
    InetAddress loopback = InetAddress.getLoopbackAddress();
    this.socket = tls == null
        ? new ServerSocket(0, backlog, loopback)
        : tls.getServerSocketFactory().createServerSocket(0, backlog, loopback);
    this.acceptor = new Thread(this::acceptLoop, threadPrefix + "accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port. */
  public int port() {
    return socket.getLocalPort();
  }

  /** Connections accepted since the start. */
  public int acceptedConnections() {
    return accepted.get();
  }

  /** Connections open now. */
  public int openConnections() {
    return connections.size();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = socket.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      Thread t = new Thread(() -> serve(s), threadPrefix + threadIds.incrementAndGet());
      t.setDaemon(true);
      connections.put(s, t);
      t.start();
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setTcpNoDelay(true);
      if (s instanceof SSLSocket ssl) {
        ssl.startHandshake();
      }
      InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
      OutputStream out = s.getOutputStream();
      while (!closed) {
        Exchange ex = readRequest(s, in, out);
        if (ex == null) {
          return;
        }
        try {
          handler.handle(ex);
        } finally {
          ex.close();
        }
        if (ex.dropped || ex.closeAfter) {
          return;
        }
        ex.requestBody.skipRest();
      }
    } catch (IOException | RuntimeException e) {
      // the client went away, sent garbage, or the server is stopping: drop the connection
    } finally {
      connections.remove(s);
    }
  }

  private @Nullable Exchange readRequest(Socket s, InputStream in, OutputStream out) throws IOException {
    String requestLine = readLine(in, true);
    if (requestLine == null) {
      return null;
    }
    String[] parts = requestLine.split(" ");
    if (parts.length != 3 || !parts[2].startsWith("HTTP/1.")) {
      throw new IOException("bad request line");
    }
    Headers headers = new Headers();
    int headBytes = requestLine.length();
    while (true) {
      String line = readLine(in, false);
      if (line == null) {
        throw new IOException("connection closed in the request head");
      }
      headBytes += line.length() + 2;
      if (headBytes > MAX_HEAD_BYTES) {
        throw new IOException("request head too large");
      }
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("bad header line");
      }
      headers.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
    }
    RequestBody body;
    String te = headers.getFirst("Transfer-Encoding");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      body = new RequestBody(in, -1);
    } else {
      String cl = headers.getFirst("Content-Length");
      body = new RequestBody(in, cl == null ? 0 : Long.parseLong(cl.trim()));
    }
    boolean closeAfter = "close".equalsIgnoreCase(headers.getFirst("Connection"))
        || parts[2].equals("HTTP/1.0");
    return new Exchange(s, parts[0], URI.create(parts[1]), parts[2], headers, body, out, closeAfter);
  }

  /** One line without its CRLF or LF; null at a clean end of stream before any byte. */
  private static @Nullable String readLine(InputStream in, boolean eofAllowed) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(128);
    while (true) {
      int c = in.read();
      if (c < 0) {
        if (eofAllowed && b.size() == 0) {
          return null;
        }
        throw new IOException("unexpected end of stream");
      }
      if (c == '\n') {
        break;
      }
      b.write(c);
      if (b.size() > MAX_HEAD_BYTES) {
        throw new IOException("line too long");
      }
    }
    byte[] bytes = b.toByteArray();
    int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
    return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
  }

  /** Drops the exchange's connection without finishing the response (no terminating chunk). */
  public static void abort(HttpExchange ex) {
    if (ex instanceof Exchange e) {
      e.drop(false);
    }
  }

  /** Drops the exchange's connection with a TCP reset. */
  public static void reset(HttpExchange ex) {
    if (ex instanceof Exchange e) {
      e.drop(true);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
    for (Map.Entry<Socket, Thread> c : connections.entrySet()) {
      try {
        c.getKey().close();
      } catch (IOException ignored) {
        // already closed
      }
      c.getValue().interrupt();
    }
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** A request body: fixed length or chunked; reading past its end returns -1. */
  private static final class RequestBody extends InputStream {
    private final InputStream in;
    private final boolean chunked;
    private long left; // bytes left in the body (fixed) or in the current chunk (chunked)
    private boolean done;

    RequestBody(InputStream in, long length) {
      this.in = in;
      this.chunked = length < 0;
      this.left = Math.max(0, length);
      this.done = length == 0;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (done) {
        return -1;
      }
      if (chunked && left == 0) {
        String size = readLine(in, false);
        int semi = size.indexOf(';');
        left = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
        if (left == 0) {
          String trailer;
          while ((trailer = readLine(in, false)) != null && !trailer.isEmpty()) {
            // trailers are ignored
          }
          done = true;
          return -1;
        }
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new IOException("request body truncated");
      }
      left -= n;
      if (left == 0) {
        if (chunked) {
          readLine(in, false); // the CRLF after the chunk
        } else {
          done = true;
        }
      }
      return n;
    }

    void skipRest() throws IOException {
      byte[] sink = new byte[4096];
      while (read(sink, 0, sink.length) >= 0) {
        // discard
      }
    }
  }

  /** The response body: chunked (each flush is one chunk) or fixed length. */
  private static final class ResponseBody extends OutputStream {
    private final OutputStream out;
    private final boolean chunked;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(512);
    private long fixedLeft;
    private boolean closed;

    ResponseBody(OutputStream out, long length) {
      this.out = out;
      this.chunked = length == 0;
      this.fixedLeft = Math.max(0, length);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("response body closed");
      }
      if (!chunked) {
        if (len > fixedLeft) {
          throw new IOException("more bytes than the declared Content-Length");
        }
        fixedLeft -= len;
      }
      pending.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      if (pending.size() == 0) {
        return;
      }
      if (chunked) {
        byte[] head = (Integer.toHexString(pending.size()) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream frame = new ByteArrayOutputStream(head.length + pending.size() + 2);
        frame.write(head);
        pending.writeTo(frame);
        frame.write('\r');
        frame.write('\n');
        frame.writeTo(out);
      } else {
        pending.writeTo(out);
      }
      pending.reset();
      out.flush();
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      flush();
      closed = true;
      if (chunked) {
        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    }
  }

  private final class Exchange extends HttpExchange {
    private final Socket socket;
    private final String method;
    private final URI uri;
    private final String protocol;
    private final Headers requestHeaders;
    private final Headers responseHeaders = new Headers();
    private final RequestBody requestBody;
    private final OutputStream raw;
    private final Map<String, Object> attributes = new HashMap<>();
    private final boolean closeAfter;
    private @Nullable ResponseBody responseBody;
    private int status = -1;
    private volatile boolean dropped;

    Exchange(Socket socket, String method, URI uri, String protocol, Headers requestHeaders,
        RequestBody requestBody, OutputStream raw, boolean closeAfter) {
      this.socket = socket;
      this.method = method;
      this.uri = uri;
      this.protocol = protocol;
      this.requestHeaders = requestHeaders;
      this.requestBody = requestBody;
      this.raw = raw;
      this.closeAfter = closeAfter;
    }

    void drop(boolean reset) {
      dropped = true;
      try {
        if (reset) {
          socket.setSoLinger(true, 0);
        }
        socket.close();
      } catch (IOException ignored) {
        // already gone
      }
    }

    @Override
    public Headers getRequestHeaders() {
      return requestHeaders;
    }

    @Override
    public Headers getResponseHeaders() {
      return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
      return uri;
    }

    @Override
    public String getRequestMethod() {
      return method;
    }

    @Override
    public @Nullable HttpContext getHttpContext() {
      return null;
    }

    @Override
    public void close() {
      if (dropped) {
        return;
      }
      try {
        if (status < 0) {
          sendResponseHeaders(500, -1);
        }
        if (responseBody != null) {
          responseBody.close();
        }
      } catch (IOException e) {
        drop(false);
      }
    }

    @Override
    public InputStream getRequestBody() {
      return requestBody;
    }

    @Override
    public OutputStream getResponseBody() {
      if (responseBody == null) {
        return OutputStream.nullOutputStream(); // no body (length -1) or headers not sent yet

      }
      return responseBody;
    }

    @Override
    public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
      if (status >= 0) {
        throw new IOException("headers already sent");
      }
      status = rCode;
      StringBuilder head = new StringBuilder(256);
      head.append("HTTP/1.1 ").append(rCode).append(' ').append(reason(rCode)).append("\r\n");
      for (Map.Entry<String, List<String>> e : responseHeaders.entrySet()) {
        for (String v : e.getValue()) {
          head.append(e.getKey()).append(": ").append(v).append("\r\n");
        }
      }
      if (responseLength == 0) {
        head.append("Transfer-Encoding: chunked\r\n");
      } else {
        head.append("Content-Length: ").append(Math.max(0, responseLength)).append("\r\n");
      }
      if (closeAfter) {
        head.append("Connection: close\r\n");
      }
      head.append("\r\n");
      raw.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      raw.flush();
      if (responseLength >= 0) {
        responseBody = new ResponseBody(raw, responseLength);
      }
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
      return (InetSocketAddress) socket.getRemoteSocketAddress();
    }

    @Override
    public int getResponseCode() {
      return status;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
      return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public String getProtocol() {
      return protocol;
    }

    @Override
    public @Nullable Object getAttribute(String name) {
      return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, @Nullable Object value) {
      attributes.put(name, value);
    }

    @Override
    public void setStreams(@Nullable InputStream i, @Nullable OutputStream o) {
      throw new UnsupportedOperationException("filters are not supported");
    }

    @Override
    public @Nullable HttpPrincipal getPrincipal() {
      return null;
    }
  }

  private static String reason(int code) {
    return switch (code) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }
}
