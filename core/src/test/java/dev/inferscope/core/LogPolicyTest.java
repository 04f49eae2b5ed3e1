package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferscope.core.internal.IdentityHasher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LogPolicyTest {

  @Test
  void defaultsSampleTenPercent() {
    AtomicInteger i = new AtomicInteger();
    LogPolicy p = LogPolicy.builder().random(() -> (i.getAndIncrement() % 100) / 100.0).build();
    int sampled = 0;
    for (int n = 0; n < 1000; n++) {
      if (p.sampledBy(false, 1_000, Double.NaN) != null) {
        sampled++;
      }
    }
    assertThat(sampled).isEqualTo(100);
    assertThat(LogPolicy.defaults().sampleRate()).isEqualTo(0.1);
  }

  @Test
  void alwaysOnErrorsSlowAndLowConfidenceInThatOrder() {
    LogPolicy p = LogPolicy.builder().sampleRate(0).slowThreshold(Duration.ofMillis(100))
        .lowConfidenceThreshold(0.6).build();
    assertThat(p.sampledBy(true, 0, Double.NaN)).isEqualTo("error");
    assertThat(p.sampledBy(false, 100_000_000, Double.NaN)).isEqualTo("slow");
    assertThat(p.sampledBy(false, 0, 0.59)).isEqualTo("low_confidence");
    assertThat(p.sampledBy(false, 0, 0.61)).isNull();
    assertThat(LogPolicy.disabled().sampledBy(true, 0, 0)).isNull();
  }

  @Test
  void rejectsBadSettingsAndRedactsTheKey() {
    assertThatThrownBy(() -> LogPolicy.builder().sampleRate(1.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LogPolicy.builder().identityKey(new byte[4])).isInstanceOf(IllegalArgumentException.class);
    byte[] key = "0123456789abcdef-secret".getBytes(StandardCharsets.UTF_8);
    assertThat(LogPolicy.builder().identityKey(key).build().toString()).doesNotContain("secret").contains("<redacted>");
  }

  @Test
  void identityHashIsKeyedHmacSha256() {
    // Vector computed independently with
    // `printf 'user-42' | openssl dgst -sha256 -hmac 'inferscope-test-key-0001'` (first 16 bytes).
    IdentityHasher h = new IdentityHasher("inferscope-test-key-0001".getBytes(StandardCharsets.UTF_8));
    assertThat(h.hash("user-42")).isEqualTo("bb33d1e6c931961ae77358f30b2c78c8");
    assertThat(h.hash("user-42")).isEqualTo(h.hash("user-42"));
    assertThat(h.hash("user-42")).isNotEqualTo(h.hash("user-43"));
    IdentityHasher other = new IdentityHasher("another-key-of-16-bytes".getBytes(StandardCharsets.UTF_8));
    assertThat(other.hash("user-42")).isNotEqualTo(h.hash("user-42"));
  }
}
