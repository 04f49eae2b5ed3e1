package dev.inferscope.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerValuesTest {
  @Test
  void plainValuesPassThroughUntouchedAndHostileOnesAreScrubbedAndCapped() {
    String model = "meta-llama/Llama-3.1-8B-Instruct";
    assertThat(ServerValues.id(model)).isSameAs(model);
    assertThat(ServerValues.id("")).isNull();
    assertThat(ServerValues.id("m 'CANARY' x")).doesNotContain("CANARY").contains("<redacted>");
    assertThat(ServerValues.id("a\nb")).isEqualTo("a b");
    assertThat(ServerValues.id("x".repeat(1 << 20))).hasSizeLessThanOrEqualTo(ServerValues.MAX_ID_LENGTH);
    List<String> reasons = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      reasons.add(i == 0 ? "y".repeat(1 << 20) : "stop");
    }
    List<String> kept = ServerValues.reasons(reasons);
    assertThat(kept).hasSize(ServerValues.MAX_REASONS);
    assertThat(kept.get(0)).hasSizeLessThanOrEqualTo(ServerValues.MAX_REASON_LENGTH);
    assertThat(kept.get(1)).isEqualTo("stop");
  }

  @Test
  void implausibleNumbersBecomeUnknown() {
    assertThat(ServerValues.tokens(12)).isEqualTo(12);
    assertThat(ServerValues.tokens(-3)).isEqualTo(-1);
    assertThat(ServerValues.tokens(99_999_999_999_999L)).isEqualTo(-1);
    assertThat(ServerValues.nanos(ServerValues.MAX_DURATION_NANOS + 1)).isEqualTo(-1);
    assertThat(ServerValues.nanos(5)).isEqualTo(5);
    assertThat(ServerValues.bytes(-1)).isEqualTo(-1);
  }
}
