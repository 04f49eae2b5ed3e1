package dev.inferscope.core.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: 128 random bits as 32 hex characters, from {@link ThreadLocalRandom} (not
 * {@code UUID.randomUUID()}, whose SecureRandom costs microseconds and contends under load). Ids are for
 * correlation, not secrets. Internal API: not for use outside Inferscope, may change without notice.
 */
public final class RequestIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private RequestIds() {}

  /** A new random id. */
  public static String next() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long hi = r.nextLong();
    long lo = r.nextLong();
    char[] c = new char[32];
    for (int i = 15; i >= 0; i--) {
      c[i] = HEX[(int) (hi & 0xf)];
      hi >>>= 4;
      c[16 + i] = HEX[(int) (lo & 0xf)];
      lo >>>= 4;
    }
    return new String(c);
  }
}
