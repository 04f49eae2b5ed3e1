package dev.inferscope.core.internal;

import dev.inferscope.core.MessageScrubber;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The one place where values that came from a server are made fit to become telemetry (span attributes,
 * meter tags, log fields). Strings are scrubbed (quoted runs, control characters) and capped; counts,
 * sizes and durations that cannot be true become "unknown" ({@code -1} or {@code null}) so that the
 * response itself stays usable and only the telemetry loses the value. {@code Call} runs every
 * server-supplied value through here. Internal API: not for use outside Inferscope, may change without
 * notice.
 */
public final class ServerValues {
  /** The longest identifier (response id, model name, model version) kept, in characters. */
  public static final int MAX_ID_LENGTH = 128;

  /** The longest finish reason kept; real ones are a word ({@code stop}, {@code length}, {@code tool_calls}). */
  public static final int MAX_REASON_LENGTH = 32;

  /** The most finish reasons kept (one per choice). */
  public static final int MAX_REASONS = 16;

  /** The largest token count believed: more than any context window served today by three orders. */
  public static final long MAX_TOKENS = 1L << 30;

  /** The longest server-reported duration believed: one day, in nanoseconds. */
  public static final long MAX_DURATION_NANOS = 86_400L * 1_000_000_000L;

  private ServerValues() {}

  /** An identifier (response id, model, version), scrubbed and capped; null or empty stays null. */
  public static @Nullable String id(@Nullable String value) {
    return text(value, MAX_ID_LENGTH);
  }

  /** Finish reasons: each scrubbed and capped, at most {@link #MAX_REASONS}; null stays null. */
  public static @Nullable List<String> reasons(@Nullable List<String> reasons) {
    if (reasons == null) {
      return null;
    }
    List<String> out = new ArrayList<>(Math.min(reasons.size(), MAX_REASONS));
    for (String r : reasons) {
      if (out.size() == MAX_REASONS) {
        break;
      }
      String s = text(r, MAX_REASON_LENGTH);
      if (s != null) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  /** The longest server error code kept ({@code model_not_found}, {@code 503}, {@code InvalidArgument}). */
  public static final int MAX_CODE_LENGTH = 32;

  /**
   * A server's error code: kept only when it looks like one — letters, digits, {@code _ . : -}, at most
   * {@value #MAX_CODE_LENGTH} characters — since a code is an identifier, and anything else (quotes, spaces,
   * an echo of the input) is not one; otherwise {@code null}.
   */
  public static @Nullable String code(@Nullable String value) {
    if (value == null || value.isEmpty() || value.length() > MAX_CODE_LENGTH) {
      return null;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!(Character.isLetterOrDigit(c) && c < 0x80) && c != '_' && c != '.' && c != ':' && c != '-') {
        return null;
      }
    }
    return value;
  }

  /** A token count: {@code -1} (unknown) when negative or above {@link #MAX_TOKENS}. */
  public static long tokens(long count) {
    return count < 0 || count > MAX_TOKENS ? -1 : count;
  }

  /** A byte size: {@code -1} (unknown) when negative. */
  public static long bytes(long size) {
    return size < 0 ? -1 : size;
  }

  /** A server-reported duration: {@code -1} (unknown) when negative or above {@link #MAX_DURATION_NANOS}. */
  public static long nanos(long nanos) {
    return nanos < 0 || nanos > MAX_DURATION_NANOS ? -1 : nanos;
  }

  private static @Nullable String text(@Nullable String value, int max) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    if (plain(value, max)) {
      return value; // the common case (a model name, an id, "stop"): nothing to scrub, nothing allocated
    }
    String s = MessageScrubber.scrub(value, max);
    return s.isEmpty() ? null : s;
  }

  /** Whether {@code value} is short enough and holds nothing the scrubber would change. */
  private static boolean plain(String value, int max) {
    if (value.length() > max) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '`' || c > 0x7e) {
        return false; // quotes, controls and anything beyond ASCII go through the scrubber
      }
    }
    return true;
  }
}
