package dev.inferscope.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class ManualClockTest {
  @Test
  void movesOnlyWhenAdvancedAndZoneViewsShareItsTime() {
    ManualClock clock = new ManualClock();
    Instant start = clock.instant();
    assertThat(clock.instant()).isEqualTo(start);
    Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));
    clock.advance(Duration.ofMillis(350));
    assertThat(clock.instant()).isEqualTo(start.plusMillis(350));
    assertThat(paris.instant()).isEqualTo(start.plusMillis(350));
    assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
    assertThat(clock.millis()).isEqualTo(start.toEpochMilli() + 350);
    assertThatThrownBy(() -> clock.advance(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
    assertThat(clock.instant()).isEqualTo(start.plusMillis(350));
  }
}
