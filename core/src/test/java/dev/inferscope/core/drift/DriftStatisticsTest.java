package dev.inferscope.core.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Reference values were computed independently with numpy 2.4.6 and scipy 1.17.1 by
 * {@code core/src/test/resources/drift/reference.py} (its docstring says exactly how).
 */
class DriftStatisticsTest {
  static final double[] REF = new double[500];
  static final double[] CUR = new double[400];
  static final double[] LUMP = new double[300];

  static {
    for (int i = 0; i < REF.length; i++) {
      REF[i] = 3 * Math.sin(0.7 * i) + 0.5 * (i % 7);
    }
    for (int i = 0; i < CUR.length; i++) {
      CUR[i] = 3 * Math.sin(0.7 * i + 0.3) + 0.5 * (i % 5) + 1.0;
    }
    for (int i = 0; i < LUMP.length; i++) {
      LUMP[i] = 100.0 + (i % 3);
    }
  }

  @Test
  void matchesIndependentReferenceValues() {
    assertThat(DriftStatistics.psi(REF, CUR, 10, 1e-4)).isCloseTo(0.12730593169634696, within(1e-6));
    assertThat(DriftStatistics.js(REF, CUR, 10)).isCloseTo(0.021850634502463197, within(1e-6));
    assertThat(DriftStatistics.ks(REF, CUR)).isCloseTo(0.0975, within(1e-6));
    assertThat(DriftStatistics.ksPValue(0.0975, 500, 400)).isCloseTo(0.02925057791241309, within(1e-6));
  }

  @Test
  void identicalDistributionsScoreZero() {
    assertThat(DriftStatistics.psi(REF, REF, 10, 1e-4)).isCloseTo(0.0, within(1e-6));
    assertThat(DriftStatistics.js(REF, REF, 10)).isCloseTo(0.0, within(1e-6));
    assertThat(DriftStatistics.ks(REF, REF)).isZero();
    assertThat(DriftStatistics.ksPValue(0, 500, 500)).isEqualTo(1.0);
  }

  @Test
  void emptyBinsUseEpsilon() {
    assertThat(DriftStatistics.psi(REF, LUMP, 10, 1e-4)).isCloseTo(8.283089355027482, within(1e-6));
    assertThat(DriftStatistics.js(REF, LUMP, 10)).isCloseTo(0.7582766571931675, within(1e-6));
    assertThat(DriftStatistics.ks(REF, LUMP)).isEqualTo(1.0);
    assertThat(DriftStatistics.ksPValue(1.0, 500, 300)).isCloseTo(2.7580318805081206e-163, within(1e-6));
  }

  @Test
  void categoricalScores() {
    Map<String, Long> a = Map.of("cat", 50L, "dog", 50L);
    assertThat(DriftStatistics.js(a, a)).isZero();
    // completely disjoint distributions are 1 bit apart
    assertThat(DriftStatistics.js(Map.of("cat", 10L), Map.of("dog", 10L))).isCloseTo(1.0, within(1e-12));
    // p = (0.5, 0.5), q = (0.9, 0.1): PSI = 0.4 ln 1.8 - 0.4 ln 0.2
    assertThat(DriftStatistics.psi(a, Map.of("cat", 90L, "dog", 10L), 1e-4))
        .isCloseTo(0.4 * Math.log(1.8) - 0.4 * Math.log(0.2), within(1e-12));
  }

  @Test
  void monitorUsesTheFirstValuesAsReferenceAndSlidesTheWindow() {
    DriftMonitor m = DriftMonitor.builder().referenceSize(500).windowSize(400).build();
    for (double v : REF) {
      m.observe("ranker", "age", v);
    }
    for (double v : CUR) {
      m.observe("ranker", "age", v);
    }
    DriftScores s = m.scores("ranker", "age");
    assertThat(s.psi()).isCloseTo(0.12730593169634696, within(1e-6));
    assertThat(s.ksPValue()).isCloseTo(0.02925057791241309, within(1e-6));
    assertThat(s.referenceCount()).isEqualTo(500);
    assertThat(s.currentCount()).isEqualTo(400);
  }

  @Test
  void memoryStaysBoundedOverTenMillionObservations() {
    DriftMonitor m = DriftMonitor.builder().build();
    java.util.Random r = new java.util.Random(1);
    for (int i = 0; i < 10_000_000; i++) {
      m.observe("m", "x", r.nextGaussian());
      if ((i & 7) == 0) {
        m.observeCategory("m", "country", "c" + r.nextInt(10_000));
      }
    }
    assertThat(m.retainedValues("m", "x")).isEqualTo(2_000);
    assertThat(m.retainedValues("m", "country")).isLessThanOrEqualTo(2 * (DriftMonitor.MAX_CATEGORIES + 1) + 1_000);
    assertThat(m.scores("m", "x").psi()).isLessThan(0.05);
  }

  @Test
  void driftEventsGaugesAndLowConfidenceNeverCarryValues() {
    Logger logger = (Logger) LoggerFactory.getLogger("dev.inferscope.requests");
    ListAppender<ILoggingEvent> app = new ListAppender<>();
    app.start();
    logger.addAppender(app);
    try {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      DriftMonitor m = DriftMonitor.builder().referenceSize(500).windowSize(300).build();
      m.bindTo(registry);
      for (double v : REF) {
        m.observe("ranker", "age", v);
      }
      for (double v : LUMP) {
        m.observe("ranker", "age", v);
      }
      m.observePrediction("ranker", 0.2, "CANARY-label-9q");
      m.observePrediction("ranker", 0.9, "CANARY-label-9q");
      m.evaluate();
      m.evaluate(); // a crossing is logged once
      assertThat(registry.get("inference.drift.psi").tag("feature", "age").gauge().value()).isGreaterThan(0.2);
      assertThat(registry.get("inference.prediction.low_confidence").counter().count()).isEqualTo(1.0);
      assertThat(app.list).hasSize(1);
      String line = app.list.get(0).getFormattedMessage();
      assertThat(line).contains("\"event\":\"drift\"").contains("\"feature\":\"age\"").contains("\"metric\":\"psi\"");
      assertThat(line).doesNotContain("CANARY").doesNotContain("100.0");
      registry.getMeters().forEach(meter -> meter.getId().getTags()
          .forEach(t -> assertThat(t.getValue()).doesNotContain("CANARY")));
    } finally {
      logger.detachAppender(app);
    }
  }
}
