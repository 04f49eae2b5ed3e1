package dev.inferscope.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/** Starting, awaiting and stopping a server a test runs as a child process, and reading what it printed. */
public final class ChildProcesses {
  private ChildProcesses() {}

  /** Asks the process to stop, waits up to 15 s, then kills it and waits up to 10 s more. */
  public static void stop(Process process) {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** The text of a server's log file, or a line saying why there is none. */
  public static String log(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** A port free on 127.0.0.1 now, for a child server that cannot pick its own and report it. */
  public static int freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A readiness check; {@link IOException} means "not listening yet". */
  @FunctionalInterface
  public interface Ready {
    boolean check() throws IOException, InterruptedException;
  }

  /**
   * Polls {@code ready} every {@code poll} until it says so. Fails the test, with the server's {@code log}, when the
   * process exits first or {@code within} passes (then the process is stopped).
   */
  public static void awaitReady(Process process, String name, Duration within, Duration poll, Ready ready, Path log)
      throws InterruptedException {
    long until = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < until) {
      if (!process.isAlive()) {
        Assertions.fail(name + " exited: " + log(log));
      }
      try {
        if (ready.check()) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      process.waitFor(poll.toMillis(), TimeUnit.MILLISECONDS);
    }
    stop(process);
    Assertions.fail(name + " was not ready within " + within.toSeconds() + " s: " + log(log));
  }
}
