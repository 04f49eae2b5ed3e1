package dev.inferscope.core.internal;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.util.concurrent.CompletionException;

/**
 * Classifies failures of an HTTP exchange (java.net.http): timeouts, refused connections, broken
 * exchanges. The foreign exception's message is not copied. Internal API: not for use outside
 * Inferscope, may change without notice.
 */
public final class TransportErrors {
  private TransportErrors() {}

  /** The failure as an InferenceException; {@code server} names the peer in the message. */
  public static InferenceException http(Throwable t, String server) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    // an Inferscope failure raised inside the exchange (a body subscriber's size cap) comes back wrapped
    // by the JDK client, in an IOException of its own
    for (Throwable cur = c; cur != null && cur != cur.getCause(); cur = cur.getCause()) {
      if (cur instanceof InferenceException ie) {
        return ie;
      }
    }
    if (c instanceof HttpTimeoutException) {
      return InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "HTTP request timed out", c);
    }
    if (c instanceof ConnectException) {
      return InferenceException.of(ErrorType.UNAVAILABLE, "could not connect to " + server, c);
    }
    if (c instanceof IOException) {
      return InferenceException.of(ErrorType.UNAVAILABLE, "HTTP exchange failed: " + c.getClass().getSimpleName(), c);
    }
    return InferenceException.from(c);
  }
}
