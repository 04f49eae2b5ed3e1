package dev.inferscope.core.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyed HMAC-SHA256 of identities (user ids, client addresses). Internal API: not for use outside
 * Inferscope, may change without notice.
 */
public final class IdentityHasher {
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  public IdentityHasher(byte[] key) {
    this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  /** The first 16 bytes of HMAC-SHA256(key, value) as 32 hex characters. */
  public String hash(String value) {
    byte[] out = macs.get().doFinal(value.getBytes(StandardCharsets.UTF_8));
    char[] hex = new char[32];
    for (int i = 0; i < 16; i++) {
      hex[2 * i] = HEX[(out[i] >> 4) & 0xf];
      hex[2 * i + 1] = HEX[out[i] & 0xf];
    }
    return new String(hex);
  }
}
