package dev.inferscope.core;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The one exception every Inferscope client throws. Unchecked.
 *
 * <p>The message is built from Inferscope's own text plus, where the server gave one, a
 * {@linkplain MessageScrubber scrubbed} and capped copy of the server's message: servers echo input
 * back in their errors, so quoted text is redacted and the length is bounded. Telemetry (spans, meters,
 * log lines) never carries the server's message at all, only {@link #errorType()} and
 * {@link #serverCode()}.
 */
public final class InferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorType errorType;
  private final boolean retryable;
  private final @Nullable String serverCode;
  private final @Nullable String serverMessage;
  private final @Nullable Duration retryAfter;
  private final int attempts;
  private final long chunksReceived;

  private InferenceException(Builder b) {
    super(composeMessage(b), b.cause, false, true);
    this.errorType = b.errorType;
    this.retryable = b.retryable != null ? b.retryable : b.errorType.retryable();
    this.serverCode = b.serverCode;
    this.serverMessage = b.serverMessage == null ? null : MessageScrubber.scrub(b.serverMessage);
    this.retryAfter = b.retryAfter;
    this.attempts = b.attempts;
    this.chunksReceived = b.chunksReceived;
  }

  private static String composeMessage(Builder b) {
    StringBuilder sb = new StringBuilder(96);
    sb.append(b.errorType.name()).append(": ").append(b.message);
    if (b.serverCode != null) {
      sb.append(" [server code ").append(MessageScrubber.scrub(b.serverCode, 32)).append(']');
    }
    if (b.serverMessage != null) {
      sb.append(" server said: ").append(MessageScrubber.scrub(b.serverMessage));
    }
    if (b.chunksReceived > 0) {
      sb.append(" (after ").append(b.chunksReceived).append(" chunks)");
    }
    if (b.attempts > 1) {
      sb.append(" (after ").append(b.attempts).append(" attempts)");
    }
    return sb.toString();
  }

  /** An exception of the given type with Inferscope's own message (never a payload). */
  public static InferenceException of(ErrorType type, String message) {
    return builder(type, message).build();
  }

  /** An exception of the given type with Inferscope's own message and a cause. */
  public static InferenceException of(ErrorType type, String message, @Nullable Throwable cause) {
    return builder(type, message).cause(cause).build();
  }

  /**
   * Classifies any throwable as an {@link InferenceException}: returns it as is when it already is one
   * (or wraps one), maps cancellation and interruption to {@link ErrorType#CANCELLED}, timeouts to
   * {@link ErrorType#DEADLINE_EXCEEDED} and anything else to {@link ErrorType#UNKNOWN}. The foreign
   * throwable's message is not copied (it may hold a payload); it stays reachable as the cause.
   */
  public static InferenceException from(Throwable t) {
    Throwable cur = t;
    for (int depth = 0; cur != null && depth < 8; depth++) {
      if (cur instanceof InferenceException ie) {
        return ie;
      }
      if (cur instanceof java.util.concurrent.CancellationException
          || cur instanceof InterruptedException) {
        return of(ErrorType.CANCELLED, "call cancelled", t);
      }
      if (cur instanceof java.util.concurrent.TimeoutException
          || cur instanceof java.net.http.HttpTimeoutException) {
        return of(ErrorType.DEADLINE_EXCEEDED, "timed out", t);
      }
      if (!(cur instanceof java.util.concurrent.CompletionException
          || cur instanceof java.util.concurrent.ExecutionException)) {
        break;
      }
      cur = cur.getCause();
    }
    return of(ErrorType.UNKNOWN, "unexpected " + t.getClass().getName(), t);
  }

  /** A builder; {@code message} is Inferscope's own text and must not hold a payload. */
  public static Builder builder(ErrorType type, String message) {
    return new Builder(type, message);
  }

  /** The kind of failure. */
  public ErrorType errorType() {
    return errorType;
  }

  /** Whether trying again may succeed. Defaults to {@link ErrorType#retryable()}. */
  public boolean retryable() {
    return retryable;
  }

  /** The server's own status or error code (HTTP status, gRPC code, OpenAI error code), if any. */
  public @Nullable String serverCode() {
    return serverCode;
  }

  /** The server's message, scrubbed and capped. Never put in telemetry. */
  public @Nullable String serverMessage() {
    return serverMessage;
  }

  /** How long the server asked the client to wait before trying again, if it said. */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  /** How many attempts were made before this exception was thrown (1 when not retried). */
  public int attempts() {
    return Math.max(1, attempts);
  }

  /** Streaming calls: how many chunks had arrived before the failure. */
  public long chunksReceived() {
    return chunksReceived;
  }

  /** A copy that records the number of attempts made. */
  public InferenceException withAttempts(int attempts) {
    if (attempts == this.attempts) {
      return this;
    }
    return toBuilder().attempts(attempts).build();
  }

  /** A copy that records the number of chunks received. */
  public InferenceException withChunksReceived(long chunks) {
    if (chunks == this.chunksReceived) {
      return this;
    }
    return toBuilder().chunksReceived(chunks).build();
  }

  /** A copy that may not be retried (used once a stream has delivered data). */
  public InferenceException notRetryable() {
    if (!retryable) {
      return this;
    }
    return toBuilder().retryable(false).build();
  }

  private Builder toBuilder() {
    String own = getMessage();
    // Recover Inferscope's own text: everything after "TYPE: " up to the first appended part.
    String prefix = errorType.name() + ": ";
    String text = own.startsWith(prefix) ? own.substring(prefix.length()) : own;
    int cut = indexOfAny(text, " [server code ", " server said: ", " (after ");
    if (cut >= 0) {
      text = text.substring(0, cut);
    }
    Builder b = new Builder(errorType, text);
    b.retryable = retryable;
    b.serverCode = serverCode;
    b.serverMessage = serverMessage;
    b.retryAfter = retryAfter;
    b.attempts = attempts;
    b.chunksReceived = chunksReceived;
    b.cause = getCause();
    InferenceException copyOf = this;
    b.stackFrom = copyOf;
    return b;
  }

  private static int indexOfAny(String s, String... needles) {
    int best = -1;
    for (String n : needles) {
      int i = s.indexOf(n);
      if (i >= 0 && (best < 0 || i < best)) {
        best = i;
      }
    }
    return best;
  }

  /** Builds an {@link InferenceException}. */
  public static final class Builder {
    private final ErrorType errorType;
    private final String message;
    private @Nullable Boolean retryable;
    private @Nullable String serverCode;
    private @Nullable String serverMessage;
    private @Nullable Duration retryAfter;
    private @Nullable Throwable cause;
    private int attempts = 1;
    private long chunksReceived;
    private @Nullable InferenceException stackFrom;

    private Builder(ErrorType errorType, String message) {
      this.errorType = java.util.Objects.requireNonNull(errorType, "errorType");
      this.message = MessageScrubber.scrub(java.util.Objects.requireNonNull(message, "message"), 512);
    }

    /** Overrides whether the failure is retryable. */
    public Builder retryable(boolean retryable) {
      this.retryable = retryable;
      return this;
    }

    /** The server's own status or error code. */
    public Builder serverCode(@Nullable String serverCode) {
      this.serverCode = serverCode;
      return this;
    }

    /** The server's message; it is scrubbed and capped before it is kept. */
    public Builder serverMessage(@Nullable String serverMessage) {
      this.serverMessage = serverMessage;
      return this;
    }

    /** The wait the server asked for before a retry. */
    public Builder retryAfter(@Nullable Duration retryAfter) {
      this.retryAfter = retryAfter;
      return this;
    }

    /** The underlying cause. */
    public Builder cause(@Nullable Throwable cause) {
      this.cause = cause;
      return this;
    }

    /** How many attempts were made. */
    public Builder attempts(int attempts) {
      this.attempts = attempts;
      return this;
    }

    /** How many stream chunks had arrived. */
    public Builder chunksReceived(long chunksReceived) {
      this.chunksReceived = chunksReceived;
      return this;
    }

    /** Builds the exception. */
    public InferenceException build() {
      InferenceException e = new InferenceException(this);
      if (stackFrom != null) {
        e.setStackTrace(stackFrom.getStackTrace());
      }
      return e;
    }
  }
}
