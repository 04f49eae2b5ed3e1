package dev.inferscope.core;

/** Removes the parts of a URL that may hold secrets (user info, query, fragment). */
public final class UrlSanitizer {
  private UrlSanitizer() {}

  /** The URL without user info, query string and fragment. */
  public static String sanitize(String url) {
    String s = url;
    int q = indexOfFirst(s, '?', '#');
    if (q >= 0) {
      s = s.substring(0, q);
    }
    int scheme = s.indexOf("://");
    if (scheme >= 0) {
      int hostStart = scheme + 3;
      int pathStart = s.indexOf('/', hostStart);
      int at = s.lastIndexOf('@', pathStart < 0 ? s.length() - 1 : pathStart);
      if (at >= hostStart) {
        s = s.substring(0, hostStart) + s.substring(at + 1);
      }
    }
    return s;
  }

  private static int indexOfFirst(String s, char a, char b) {
    int i = s.indexOf(a);
    int j = s.indexOf(b);
    if (i < 0) {
      return j;
    }
    if (j < 0) {
      return i;
    }
    return Math.min(i, j);
  }
}
