package dev.inferscope.core.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Fuzzes {@link PrometheusTextParser#parse(CharSequence)} with arbitrary text (the input bytes as UTF-8).
 * Invariants: parsing never throws; the counts agree (samples by family, by name and in total; bad line
 * numbers ascending, within the text, at most 16); every sample has a valid name and label names; LF and
 * CRLF line ends parse alike; and, for expositions that the 0.0.4 writer can express (no OpenMetrics
 * {@code info} or {@code gaugehistogram} family), {@link PrometheusTextWriter#write(PrometheusText)} of what
 * parsed re-parses without a bad line to the same samples (values compared as numbers: the writer writes
 * {@code -0} as {@code 0}).
 *
 * <p>Seeds: {@code src/test/resources/dev/inferscope/core/prometheus/PrometheusTextParserFuzzTestInputs/parse/}.
 */
class PrometheusTextParserFuzzTest {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  @FuzzTest(maxDuration = "5m")
  void parse(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    PrometheusText parsed = PrometheusTextParser.parse(text);
    checkConsistent(parsed, text);

    if (text.indexOf('\r') < 0) {
      PrometheusText crlf = PrometheusTextParser.parse(text.replace("\n", "\r\n"));
      assertThat(samples(crlf)).as("CRLF line ends").isEqualTo(samples(parsed));
      assertThat(crlf.badLines()).as("bad lines with CRLF").isEqualTo(parsed.badLines());
    }

    boolean writable = parsed.families().values().stream()
        .noneMatch(f -> f.type() == MetricType.INFO || f.type() == MetricType.GAUGEHISTOGRAM);
    if (writable && !parsed.truncated()) {
      String written = PrometheusTextWriter.write(parsed);
      PrometheusText again = PrometheusTextParser.parse(written);
      assertThat(again.badLines()).as("bad lines in the written text:%n%s", written).isZero();
      assertThat(again.sampleCount()).isEqualTo(parsed.sampleCount());
      assertThat(counted(again)).as("samples after a write and a parse of:%n%s", written)
          .isEqualTo(counted(parsed));
    }
  }

  private static void checkConsistent(PrometheusText t, String text) {
    int lines = text.isEmpty() ? 0 : (int) text.chars().filter(c -> c == '\n').count() + 1;
    List<Sample> all = samples(t);
    assertThat(all).hasSize(t.sampleCount());
    int byName = 0;
    for (Sample s : all) {
      assertThat(s.name()).matches(METRIC_NAME);
      for (String label : s.labels().keySet()) {
        assertThat(label).matches(LABEL_NAME);
      }
      assertThat(t.samples(s.name())).contains(s);
    }
    for (String name : new java.util.LinkedHashSet<>(all.stream().map(Sample::name).toList())) {
      byName += t.samples(name).size();
    }
    assertThat(byName).isEqualTo(t.sampleCount());
    for (Map.Entry<String, MetricFamily> e : t.families().entrySet()) {
      assertThat(e.getValue().name()).isEqualTo(e.getKey()).matches(METRIC_NAME);
    }
    assertThat(t.badLines()).isBetween(0, lines);
    assertThat(t.sampleCount() + t.badLines()).isLessThanOrEqualTo(lines);
    assertThat(t.badLineNumbers()).hasSize(Math.min(t.badLines(), 16)).isSorted()
        .allSatisfy(n -> assertThat(n).isBetween(1, lines));
  }

  /** Every sample, family by family. */
  private static List<Sample> samples(PrometheusText t) {
    List<Sample> out = new ArrayList<>();
    t.families().values().forEach(f -> out.addAll(f.samples()));
    return out;
  }

  /** The samples as a multiset: name, labels in order, value as a number, timestamp. */
  private static Map<List<Object>, Integer> counted(PrometheusText t) {
    Map<List<Object>, Integer> out = new HashMap<>();
    for (Sample s : samples(t)) {
      double v = s.value() == 0 ? 0.0 : s.value(); // -0 is written as 0
      List<Object> key = List.of(s.name(), new ArrayList<>(s.labels().entrySet()), Double.valueOf(v),
          String.valueOf(s.timestampMillis()));
      out.merge(key, 1, Integer::sum);
    }
    return out;
  }
}
