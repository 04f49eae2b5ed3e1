package dev.inferscope.testkit;

import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that closes what a test opened (simulators, clients, captures) after each test, the
 * last opened first. The first failure to close is thrown once all have been closed, the others added to
 * it as suppressed.
 *
 * <pre>{@code
 * @RegisterExtension final Closer closer = new Closer();
 * private final TelemetryCapture capture = closer.add(new TelemetryCapture());
 * }</pre>
 */
public final class Closer implements AfterEachCallback {
  private final Deque<AutoCloseable> open = new ArrayDeque<>();

  /** Registers {@code resource} to be closed after the test; returns it. */
  public synchronized <T extends AutoCloseable> T add(T resource) {
    open.push(resource);
    return resource;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception first = null;
    while (true) {
      AutoCloseable next;
      synchronized (this) {
        next = open.poll();
      }
      if (next == null) {
        break;
      }
      try {
        next.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
