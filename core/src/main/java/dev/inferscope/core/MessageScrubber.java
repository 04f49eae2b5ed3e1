package dev.inferscope.core;

/**
 * Makes text that came from a server safe to show in an exception message.
 *
 * <p>Servers often echo parts of the input back in their error messages ("unexpected value 'abc' for
 * input X"). The scrubber replaces every quoted run ({@code '...'}, {@code "..."}, {@code `...`}) with
 * {@code <redacted>}, removes control characters and caps the length. It is deliberately blunt: a
 * message that loses some detail is better than a message that leaks a prompt.
 */
public final class MessageScrubber {
  /** The default cap on scrubbed text, in characters. */
  public static final int DEFAULT_MAX_LENGTH = 256;

  private static final String REDACTED = "<redacted>";

  private MessageScrubber() {}

  /** Scrubs and caps at {@link #DEFAULT_MAX_LENGTH}. */
  public static String scrub(String text) {
    return scrub(text, DEFAULT_MAX_LENGTH);
  }

  /** Scrubs and caps at {@code maxLength} characters (an ellipsis marks a cut). */
  public static String scrub(String text, int maxLength) {
    int n = text.length();
    StringBuilder sb = new StringBuilder(Math.min(n, maxLength) + 16);
    int i = 0;
    // Only the first few kilobytes are looked at; a gigantic message is cut long before that matters.
    int limit = Math.min(n, Math.max(maxLength * 4, 4096));
    while (i < limit && sb.length() <= maxLength) {
      char c = text.charAt(i);
      if (c == '\'' || c == '"' || c == '`') {
        int close = text.indexOf(c, i + 1);
        if (c == '\'' && isWordChar(text, i - 1) && isWordChar(text, i + 1)) {
          // an apostrophe inside a word (model's, don't): keep it
          sb.append(c);
          i++;
          continue;
        }
        sb.append(REDACTED);
        i = close < 0 ? limit : close + 1;
        continue;
      }
      if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
        sb.append(' ');
      } else if (Character.isSurrogate(c)) {
        sb.append('?');
      } else {
        sb.append(c);
      }
      i++;
    }
    if (sb.length() > maxLength) {
      sb.setLength(Math.max(0, maxLength - 3));
      sb.append("...");
    } else if (i < n) {
      sb.append("...");
    }
    return sb.toString();
  }

  private static boolean isWordChar(String s, int index) {
    return index >= 0 && index < s.length() && Character.isLetterOrDigit(s.charAt(index));
  }
}
