package dev.inferscope.core.prometheus;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A strict-but-tolerant parser for the Prometheus text exposition format 0.0.4 and the basics of
 * OpenMetrics 1.0: {@code # HELP}, {@code # TYPE}, {@code # UNIT}, {@code # EOF}, samples with escaped
 * labels, {@code NaN} and {@code ±Inf} values, optional timestamps (integer milliseconds, or OpenMetrics
 * seconds with a fraction), exemplars (ignored), CRLF line ends.
 *
 * <p>A line that does not parse is counted and skipped; parsing never throws. Lines longer than
 * {@value #MAX_LINE_LENGTH} characters are bad lines; after {@value #MAX_SAMPLES} samples parsing stops
 * and the result says it was {@linkplain PrometheusText#truncated() truncated}. Thread-safe (stateless).
 */
public final class PrometheusTextParser {
  /** The longest line accepted. */
  public static final int MAX_LINE_LENGTH = 64 * 1024;
  /** The most samples read from one exposition. */
  public static final int MAX_SAMPLES = 1_000_000;
  private static final int MAX_BAD_LINE_NUMBERS = 16;

  private PrometheusTextParser() {}

  /** Parses a whole exposition. */
  public static PrometheusText parse(CharSequence text) {
    return new Run(text).run();
  }

  /** Reads and parses an exposition, reading at most {@code maxChars} characters. */
  public static PrometheusText parse(Reader reader, int maxChars) throws IOException {
    StringBuilder sb = new StringBuilder(8192);
    char[] buf = new char[8192];
    int n;
    while ((n = reader.read(buf)) >= 0 && sb.length() < maxChars) {
      sb.append(buf, 0, Math.min(n, maxChars - sb.length()));
    }
    return parse(sb);
  }

  private static final class FamilyBuilder {
    final String name;
    MetricType type;
    @Nullable String help;
    boolean typed;
    final List<Sample> samples = new ArrayList<>();

    FamilyBuilder(String name, MetricType type) {
      this.name = name;
      this.type = type;
    }
  }

  private static final class Run {
    private final CharSequence s;
    private final int len;
    private final Map<String, FamilyBuilder> families = new LinkedHashMap<>();
    private final Map<String, List<Sample>> bySample = new LinkedHashMap<>();
    private final List<Integer> badNumbers = new ArrayList<>();
    private int bad;
    private int samples;
    private boolean truncated;
    private @Nullable FamilyBuilder lastFamily;

    Run(CharSequence s) {
      this.s = s;
      this.len = s.length();
    }

    PrometheusText run() {
      int pos = 0;
      int lineNo = 0;
      while (pos < len) {
        int end = pos;
        while (end < len && s.charAt(end) != '\n') {
          end++;
        }
        lineNo++;
        int lineEnd = end;
        if (lineEnd > pos && s.charAt(lineEnd - 1) == '\r') {
          lineEnd--;
        }
        if (lineEnd - pos > MAX_LINE_LENGTH) {
          bad(lineNo);
        } else if (!line(pos, lineEnd)) {
          bad(lineNo);
        }
        if (eof) {
          break;
        }
        if (samples >= MAX_SAMPLES) {
          truncated = end < len;
          break;
        }
        pos = end + 1;
      }
      Map<String, MetricFamily> out = new LinkedHashMap<>();
      for (FamilyBuilder f : families.values()) {
        out.put(f.name, new MetricFamily(f.name, f.type, f.help, f.samples));
      }
      Map<String, List<Sample>> by = new LinkedHashMap<>();
      for (Map.Entry<String, List<Sample>> e : bySample.entrySet()) {
        by.put(e.getKey(), Collections.unmodifiableList(e.getValue()));
      }
      return new PrometheusText(out, by, samples, bad, badNumbers, truncated);
    }

    private boolean eof;

    private void bad(int lineNo) {
      bad++;
      if (badNumbers.size() < MAX_BAD_LINE_NUMBERS) {
        badNumbers.add(lineNo);
      }
    }

    /** Parses one line; false when it is bad. */
    private boolean line(int from, int to) {
      int p = skipSpaces(from, to);
      if (p == to) {
        return true; // blank
      }
      if (s.charAt(p) == '#') {
        return comment(p + 1, to);
      }
      return sample(p, to);
    }

    private boolean comment(int from, int to) {
      int p = skipSpaces(from, to);
      int wordEnd = tokenEnd(p, to);
      String word = s.subSequence(p, wordEnd).toString();
      switch (word) {
        case "EOF":
          eof = true;
          return true;
        case "HELP":
        case "TYPE":
        case "UNIT":
          break;
        default:
          return true; // any other comment
      }
      p = skipSpaces(wordEnd, to);
      int nameEnd = metricNameEnd(p, to);
      if (nameEnd == p) {
        return false;
      }
      String name = s.subSequence(p, nameEnd).toString();
      int rest = nameEnd;
      if (rest < to && s.charAt(rest) != ' ' && s.charAt(rest) != '\t') {
        return false;
      }
      rest = skipSpaces(rest, to);
      if (word.equals("UNIT")) {
        return true;
      }
      if (word.equals("HELP")) {
        FamilyBuilder f = family(name);
        f.help = unescapeHelp(rest, to);
        return true;
      }
      MetricType type = MetricType.parse(s.subSequence(rest, tokenEnd(rest, to)).toString());
      if (type == null) {
        return false;
      }
      FamilyBuilder f = families.get(name);
      if (f == null) {
        f = new FamilyBuilder(name, type);
        families.put(name, f);
      } else if (f.typed || !f.samples.isEmpty()) {
        return false; // a second TYPE line, or TYPE after samples
      }
      f.type = type;
      f.typed = true;
      lastFamily = f;
      return true;
    }

    private FamilyBuilder family(String name) {
      FamilyBuilder f = families.get(name);
      if (f == null) {
        f = new FamilyBuilder(name, MetricType.UNTYPED);
        families.put(name, f);
      }
      return f;
    }

    private boolean sample(int from, int to) {
      int nameEnd = metricNameEnd(from, to);
      if (nameEnd == from) {
        return false;
      }
      String name = s.subSequence(from, nameEnd).toString();
      int p = nameEnd;
      Map<String, String> labels = Map.of();
      if (p < to && s.charAt(p) == '{') {
        LinkedHashMap<String, String> parsed = new LinkedHashMap<>();
        p = labels(p + 1, to, parsed);
        if (p < 0) {
          return false;
        }
        labels = Collections.unmodifiableMap(parsed);
      }
      if (p >= to || (s.charAt(p) != ' ' && s.charAt(p) != '\t')) {
        return false;
      }
      p = skipSpaces(p, to);
      int valueEnd = tokenEnd(p, to);
      double value = parseValue(p, valueEnd);
      if (Double.isNaN(value) && !isNaNToken(p, valueEnd)) {
        return false;
      }
      p = skipSpaces(valueEnd, to);
      Long timestamp = null;
      if (p < to && s.charAt(p) != '#') {
        int tsEnd = tokenEnd(p, to);
        timestamp = parseTimestamp(p, tsEnd);
        if (timestamp == null) {
          return false;
        }
        p = skipSpaces(tsEnd, to);
      }
      if (p < to && s.charAt(p) != '#') {
        return false; // trailing junk (an exemplar starts with '#')
      }
      Sample sample = new Sample(name, labels, value, timestamp);
      familyFor(name).samples.add(sample);
      bySample.computeIfAbsent(name, k -> new ArrayList<>()).add(sample);
      samples++;
      return true;
    }

    private FamilyBuilder familyFor(String sampleName) {
      // 1. a suffixed sample of the family declared last (x_bucket, x_sum, x_count, x_total ...)
      FamilyBuilder last = lastFamily;
      if (last != null && sampleName.length() > last.name.length() && sampleName.startsWith(last.name)
          && last.type.acceptsSuffix(sampleName.substring(last.name.length()))) {
        return last;
      }
      // 2. a family of exactly this name
      FamilyBuilder exact = families.get(sampleName);
      if (exact != null) {
        lastFamily = exact;
        return exact;
      }
      // 3. a suffixed sample of any earlier family
      int us = sampleName.lastIndexOf('_');
      if (us > 0) {
        FamilyBuilder base = families.get(sampleName.substring(0, us));
        if (base != null && base.type.acceptsSuffix(sampleName.substring(us))) {
          return base;
        }
      }
      // 4. an untyped family of its own
      FamilyBuilder f = family(sampleName);
      lastFamily = f;
      return f;
    }

    /** Parses labels after '{'; returns the index after the space-or-end following '}', or -1. */
    private int labels(int from, int to, Map<String, String> out) {
      int p = skipSpaces(from, to);
      StringBuilder value = new StringBuilder();
      while (p < to) {
        char c = s.charAt(p);
        if (c == '}') {
          return p + 1;
        }
        int nameEnd = labelNameEnd(p, to);
        if (nameEnd == p) {
          return -1;
        }
        String label = s.subSequence(p, nameEnd).toString();
        p = skipSpaces(nameEnd, to);
        if (p >= to || s.charAt(p) != '=') {
          return -1;
        }
        p = skipSpaces(p + 1, to);
        if (p >= to || s.charAt(p) != '"') {
          return -1;
        }
        p++;
        value.setLength(0);
        boolean closed = false;
        while (p < to) {
          char v = s.charAt(p++);
          if (v == '\\') {
            if (p >= to) {
              return -1;
            }
            char e = s.charAt(p++);
            switch (e) {
              case 'n' -> value.append('\n');
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              default -> value.append('\\').append(e);
            }
          } else if (v == '"') {
            closed = true;
            break;
          } else {
            value.append(v);
          }
        }
        if (!closed || out.containsKey(label)) {
          return -1;
        }
        out.put(label, value.toString());
        p = skipSpaces(p, to);
        if (p < to && s.charAt(p) == ',') {
          p = skipSpaces(p + 1, to);
        } else if (p < to && s.charAt(p) != '}') {
          return -1;
        }
      }
      return -1;
    }

    private double parseValue(int from, int to) {
      int n = to - from;
      if (n == 0 || n > 64) {
        return Double.NaN;
      }
      String t = s.subSequence(from, to).toString();
      switch (t) {
        case "+Inf", "Inf", "inf", "+inf" -> {
          return Double.POSITIVE_INFINITY;
        }
        case "-Inf", "-inf" -> {
          return Double.NEGATIVE_INFINITY;
        }
        case "NaN", "nan" -> {
          return Double.NaN;
        }
        default -> { }
      }
      char first = t.charAt(0);
      if (!(first == '-' || first == '+' || first == '.' || (first >= '0' && first <= '9'))) {
        return Double.NaN;
      }
      char last = t.charAt(n - 1);
      if (last == 'd' || last == 'D' || last == 'f' || last == 'F') {
        return Double.NaN; // Java's parseDouble accepts type suffixes; Prometheus does not
      }
      try {
        return Double.parseDouble(t);
      } catch (NumberFormatException e) {
        return Double.NaN;
      }
    }

    private boolean isNaNToken(int from, int to) {
      int n = to - from;
      return n == 3 && (s.subSequence(from, to).toString().equals("NaN") || s.subSequence(from, to).toString().equals("nan"));
    }

    private @Nullable Long parseTimestamp(int from, int to) {
      String t = s.subSequence(from, to).toString();
      if (t.isEmpty() || t.length() > 32) {
        return null;
      }
      try {
        if (t.indexOf('.') >= 0 || t.indexOf('e') >= 0 || t.indexOf('E') >= 0) {
          double seconds = Double.parseDouble(t);
          if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
            return null;
          }
          return Math.round(seconds * 1000.0);
        }
        return Long.parseLong(t);
      } catch (NumberFormatException e) {
        return null;
      }
    }

    private @Nullable String unescapeHelp(int from, int to) {
      StringBuilder sb = new StringBuilder(to - from);
      for (int p = from; p < to; p++) {
        char c = s.charAt(p);
        if (c == '\\' && p + 1 < to) {
          char e = s.charAt(++p);
          switch (e) {
            case 'n' -> sb.append('\n');
            case '\\' -> sb.append('\\');
            default -> sb.append('\\').append(e);
          }
        } else {
          sb.append(c);
        }
      }
      return sb.toString();
    }

    private int skipSpaces(int p, int to) {
      while (p < to && (s.charAt(p) == ' ' || s.charAt(p) == '\t')) {
        p++;
      }
      return p;
    }

    private int tokenEnd(int p, int to) {
      while (p < to && s.charAt(p) != ' ' && s.charAt(p) != '\t') {
        p++;
      }
      return p;
    }

    private int metricNameEnd(int p, int to) {
      int start = p;
      while (p < to) {
        char c = s.charAt(p);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'
            || (p > start && c >= '0' && c <= '9');
        if (!ok) {
          break;
        }
        p++;
      }
      return p;
    }

    private int labelNameEnd(int p, int to) {
      int start = p;
      while (p < to) {
        char c = s.charAt(p);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
            || (p > start && c >= '0' && c <= '9');
        if (!ok) {
          break;
        }
        p++;
      }
      return p;
    }
  }
}
