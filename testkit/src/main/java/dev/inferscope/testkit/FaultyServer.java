package dev.inferscope.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A misbehaving TCP server on 127.0.0.1 and an ephemeral port, for faults that no well-behaved server
 * simulates: one that accepts and never answers, one that drips bytes, one that speaks garbage. Each
 * connection runs the given {@link Behaviour} on its own daemon thread; {@link #close()} closes every
 * socket and stops every thread.
 */
public final class FaultyServer implements AutoCloseable {
  private final ServerSocket socket;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();

  /** What the server does with one accepted connection. */
  @FunctionalInterface
  public interface Behaviour {
    /** Serves one connection; returning (or throwing) closes it. */
    void serve(InputStream in, OutputStream out) throws IOException;
  }

  /** A server that accepts connections and never reads or writes a byte. */
  public static FaultyServer silent() {
    return new FaultyServer((in, out) -> {
      while (!Thread.currentThread().isInterrupted()) {
        LockSupport.parkNanos(Long.MAX_VALUE);
      }
    });
  }

  /** Starts a server with {@code behaviour}. */
  public FaultyServer(Behaviour behaviour) {
    try {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new IllegalStateException("cannot bind 127.0.0.1", e);
    }
    Thread acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        Socket s;
        try {
          s = socket.accept();
        } catch (IOException e) {
          return;
        }
        connections.incrementAndGet();
        open.add(s);
        Thread t = new Thread(() -> {
          try (s) {
            behaviour.serve(s.getInputStream(), s.getOutputStream());
          } catch (IOException ignored) {
            // the client went away
          } finally {
            open.remove(s);
            threads.remove(Thread.currentThread());
          }
        }, "faulty-server-conn");
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
    }, "faulty-server-accept");
    acceptor.setDaemon(true);
    threads.add(acceptor);
    acceptor.start();
  }

  /** The port. */
  public int port() {
    return socket.getLocalPort();
  }

  /** {@code http://127.0.0.1:port}. */
  public URI httpUri() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /** Connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  /** Reads an HTTP/1.1 request head (up to the empty line); the body, if any, is left unread. */
  public static void readHttpHead(InputStream in) throws IOException {
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed in the request head");
      }
      boolean advance = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3));
      state = advance ? state + 1 : (c == '\r' ? 1 : 0);
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closed
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closed
      }
    }
    for (Thread t : threads) {
      t.interrupt();
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
