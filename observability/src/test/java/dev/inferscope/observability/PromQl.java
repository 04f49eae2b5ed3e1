package dev.inferscope.observability;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the metric names a PromQL expression selects, without a full parser: string literals,
 * comments, label matchers, range and subquery brackets and Grafana variables are skipped; an
 * identifier followed by {@code (} is a function or aggregation, never a metric; keywords and the
 * label lists of {@code by/without/on/ignoring/group_left/group_right} are not metrics, nor are
 * aggregation operators written {@code sum by (x) (...)}; numbers and
 * durations are skipped. A {@code {__name__="x"}} matcher counts as metric {@code x}.
 */
final class PromQl {
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
      "group_left", "group_right", "bool", "offset", "atan2", "inf", "nan",
      // aggregation operators: followed by "by (...)" / "without (...)" rather than "(" in "sum by (x) (...)"
      "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
      "quantile", "limitk", "limit_ratio");
  private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
  private static final Pattern NUMBER = Pattern.compile("0[xX][0-9a-fA-F]+|[0-9]*\\.?[0-9]+(?:[eE][+-]?[0-9]+)?[a-zA-Z0-9]*");
  private static final Pattern NAME_MATCHER = Pattern.compile("__name__\\s*=\\s*\"([^\"]+)\"");

  private PromQl() {}

  /** The metric names selected by {@code expr}, in order of appearance. */
  static Set<String> metrics(String expr) {
    Set<String> out = new LinkedHashSet<>();
    int i = 0;
    int n = expr.length();
    while (i < n) {
      char c = expr.charAt(i);
      if (c == '"' || c == '\'' || c == '`') {
        i = skipString(expr, i);
      } else if (c == '#') {
        while (i < n && expr.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '$') {
        i = skipVariable(expr, i);
      } else if (c == '{') {
        int end = skipBlock(expr, i, '{', '}');
        Matcher m = NAME_MATCHER.matcher(expr.substring(i, end));
        while (m.find()) {
          out.add(m.group(1));
        }
        i = end;
      } else if (c == '[') {
        i = skipBlock(expr, i, '[', ']');
      } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
        Matcher m = NUMBER.matcher(expr);
        i = m.find(i) && m.start() == i ? m.end() : i + 1;
      } else if (isIdentStart(c)) {
        int start = i;
        while (i < n && isIdentPart(expr.charAt(i))) {
          i++;
        }
        String ident = expr.substring(start, i);
        int next = i;
        while (next < n && Character.isWhitespace(expr.charAt(next))) {
          next++;
        }
        boolean call = next < n && expr.charAt(next) == '(';
        String lower = ident.toLowerCase(Locale.ROOT);
        if (GROUPING.contains(lower) && call) {
          i = skipBlock(expr, next, '(', ')');
        } else if (!call && !KEYWORDS.contains(lower)) {
          out.add(ident);
        }
      } else {
        i++;
      }
    }
    return out;
  }

  /**
   * The metric of a Grafana Prometheus variable query: {@code label_values(metric, label)} gives the
   * metric, {@code label_values(label)} none, {@code query_result(expr)} the metrics of expr, anything
   * else is read as PromQL.
   */
  static Set<String> metricsOfVariableQuery(String query) {
    String q = query.strip();
    if (q.startsWith("label_values(") && q.endsWith(")")) {
      String inner = q.substring("label_values(".length(), q.length() - 1);
      int comma = topLevelComma(inner);
      return comma < 0 ? Set.of() : metrics(inner.substring(0, comma));
    }
    if (q.startsWith("query_result(") && q.endsWith(")")) {
      return metrics(q.substring("query_result(".length(), q.length() - 1));
    }
    return metrics(q);
  }

  private static int topLevelComma(String s) {
    int depth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        i = skipString(s, i) - 1;
      } else if (c == '(' || c == '{' || c == '[') {
        depth++;
      } else if (c == ')' || c == '}' || c == ']') {
        depth--;
      } else if (c == ',' && depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }

  private static boolean isIdentPart(char c) {
    return isIdentStart(c) || (c >= '0' && c <= '9');
  }

  private static int skipString(String s, int i) {
    char quote = s.charAt(i);
    i++;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\\' && quote != '`') {
        i += 2;
      } else if (c == quote) {
        return i + 1;
      } else {
        i++;
      }
    }
    throw new IllegalArgumentException("unterminated string in: " + s);
  }

  /** Grafana variables: $name, ${name}, ${name:format}, [[name]] is not used here. */
  private static int skipVariable(String s, int i) {
    i++;
    if (i < s.length() && s.charAt(i) == '{') {
      return skipBlock(s, i, '{', '}');
    }
    while (i < s.length() && isIdentPart(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /** From an opening bracket at {@code i} to just after its match, skipping strings inside. */
  private static int skipBlock(String s, int i, char open, char close) {
    int depth = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '"' || c == '\'' || c == '`') {
        i = skipString(s, i);
        continue;
      }
      if (c == open) {
        depth++;
      } else if (c == close && --depth == 0) {
        return i + 1;
      }
      i++;
    }
    throw new IllegalArgumentException("unbalanced '" + open + "' in: " + s);
  }
}
