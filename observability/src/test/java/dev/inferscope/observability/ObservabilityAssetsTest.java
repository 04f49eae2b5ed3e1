package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Checks the dashboards, rules and configuration files in observability/. */
class ObservabilityAssetsTest {
  private static final Path DIR = Path.of(".").toAbsolutePath().normalize();
  private static final Path ROOT = DIR.getParent();
  private static final Set<String> PROMQL_WORDS = Set.of("sum", "min", "max", "avg", "count", "rate", "irate",
      "increase", "histogram_quantile", "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
      "unless", "bool", "offset", "abs", "clamp_min", "clamp_max", "delta", "deriv", "topk", "bottomk",
      "label_values", "vector", "scalar", "time", "e", "inf", "nan");
  private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  static Set<String> contract() throws IOException {
    Set<String> names = new HashSet<>();
    for (String line : Files.readAllLines(DIR.resolve("metrics-contract.txt"))) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        names.add(l.split("\\s+")[0]);
      }
    }
    return names;
  }

  /** Metric names referenced by a PromQL expression. */
  static Set<String> metricsIn(String expr) {
    String e = expr.replaceAll("\"(\\\\.|[^\"])*\"", "\"\"")   // string literals
        .replaceAll("\\{[^}]*}", " ")                          // label matchers
        .replaceAll("\\[[^]]*]", " ")                          // range selectors
        .replaceAll("(?i)\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
        .replaceAll("\\$\\w+", " ");                            // template variables
    Set<String> out = new HashSet<>();
    Matcher m = IDENT.matcher(e);
    while (m.find()) {
      String t = m.group();
      int before = m.start() - 1;
      boolean partOfNumber = before >= 0 && (Character.isDigit(e.charAt(before)) || e.charAt(before) == '.');
      if (!PROMQL_WORDS.contains(t.toLowerCase(java.util.Locale.ROOT)) && !partOfNumber) {
        out.add(t);
      }
    }
    return out;
  }

  static List<Path> dashboards() throws IOException {
    try (Stream<Path> s = Files.list(DIR.resolve("grafana/dashboards"))) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> alertRules() throws IOException {
    Map<String, Object> doc = new Yaml().load(Files.readString(DIR.resolve("prometheus/rules/inferscope-alerts.yml")));
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Object g : (List<Object>) doc.get("groups")) {
      rules.addAll((List<Map<String, Object>>) ((Map<String, Object>) g).get("rules"));
    }
    return rules;
  }

  @Test
  void extractorFindsMetricsAndSkipsFunctionsLabelsAndNumbers() {
    assertThat(metricsIn("histogram_quantile(0.99, sum by (le, model) (rate(foo_bucket{model=~\"$model\"}[5m]))) > 1e-3"))
        .containsExactly("foo_bucket");
    assertThat(metricsIn("a / ignoring(error_type) group_left sum by (model) (b) and on (model) vllm:x > (14.4 * 0.001)"))
        .containsExactlyInAnyOrder("a", "b", "vllm:x");
  }

  @Test
  void everyMetricInDashboardsAndRulesIsInTheContract() throws IOException {
    Set<String> contract = contract();
    ObjectMapper json = new ObjectMapper();
    List<String> unknown = new ArrayList<>();
    for (Path p : dashboards()) {
      JsonNode d = json.readTree(p.toFile());
      for (JsonNode panel : d.get("panels")) {
        for (JsonNode t : panel.get("targets")) {
          for (String m : metricsIn(t.get("expr").asString())) {
            if (!contract.contains(m)) {
              unknown.add(p.getFileName() + ": " + m);
            }
          }
        }
      }
      for (JsonNode v : d.get("templating").get("list")) {
        if (v.has("query") && v.get("query").isString() && v.get("query").asString().startsWith("label_values(")) {
          String q = v.get("query").asString();
          String metric = q.substring("label_values(".length(), q.indexOf(','));
          if (!contract.contains(metric.strip())) {
            unknown.add(p.getFileName() + " variable: " + metric);
          }
        }
      }
    }
    for (Map<String, Object> r : alertRules()) {
      for (String m : metricsIn(String.valueOf(r.get("expr")))) {
        if (!contract.contains(m)) {
          unknown.add("rules " + r.getOrDefault("alert", r.get("record")) + ": " + m);
        }
      }
    }
    assertThat(unknown).as("metrics not in metrics-contract.txt").isEmpty();
  }

  @Test
  void sdkMetricsInTheContractAreNamedAsMicrometerExportsThem() throws IOException {
    // every sdk name derives from a meter of the README's telemetry contract
    String readme = Files.readString(ROOT.resolve("README.md"));
    for (String line : Files.readAllLines(DIR.resolve("metrics-contract.txt"))) {
      if (line.endsWith(" sdk")) {
        String name = line.split("\\s+")[0];
        String base = name.replaceAll("_(count|sum|bucket|max|total)$", "")
            .replaceAll("_(seconds|bytes|watts|celsius)$", "");
        String dotted = base.replace("gen_ai_", "gen_ai.").replace("inference_", "inference.").replace("hw_", "hw.");
        String prefix = dotted.substring(0, dotted.indexOf('.') + 1);
        String rest = dotted.substring(prefix.length()).replace('_', '.')
            .replace("kv.cache", "kv_cache").replace("error.budget", "error_budget").replace("burn.rate", "burn_rate")
            .replace("low.confidence", "low_confidence").replace("ks.pvalue", "ks_pvalue")
            .replace("time.to.first.chunk", "time_to_first_chunk").replace("time.per.output.chunk", "time_per_output_chunk")
            .replace("token.usage", "token.usage");
        assertThat(readme).as(name + " documented as " + prefix + rest).contains(prefix + rest);
      }
    }
  }

  @Test
  void dashboardsAreValidWithUniquePanelIdsAndTitles() throws IOException {
    ObjectMapper json = new ObjectMapper();
    assertThat(dashboards()).hasSize(4);
    Set<String> uids = new HashSet<>();
    for (Path p : dashboards()) {
      JsonNode d = json.readTree(p.toFile());
      assertThat(uids.add(d.get("uid").asString())).as("unique uid " + p).isTrue();
      Set<Integer> ids = new HashSet<>();
      Set<String> titles = new HashSet<>();
      for (JsonNode panel : d.get("panels")) {
        assertThat(ids.add(panel.get("id").asInt())).as("unique panel id in " + p).isTrue();
        assertThat(titles.add(panel.get("title").asString())).as("unique title in " + p).isTrue();
        assertThat(panel.get("datasource").get("uid").asString()).isEqualTo("${datasource}");
      }
    }
  }

  @Test
  void everyAlertHasASeverityAndARunbookThatExists() throws IOException {
    int alerts = 0;
    for (Map<String, Object> r : alertRules()) {
      if (!r.containsKey("alert")) {
        continue;
      }
      alerts++;
      @SuppressWarnings("unchecked")
      Map<String, Object> labels = (Map<String, Object>) r.get("labels");
      @SuppressWarnings("unchecked")
      Map<String, Object> ann = (Map<String, Object>) r.get("annotations");
      assertThat(labels.get("severity")).as(r.get("alert") + " severity").isIn("warning", "critical");
      String runbook = String.valueOf(ann.get("runbook_url"));
      assertThat(ROOT.resolve(runbook)).as(r.get("alert") + " runbook").exists();
      assertThat(ann).containsKeys("summary", "description");
    }
    assertThat(alerts).isEqualTo(8);
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyAlertHasAFiringAndANonFiringPromtoolTest() throws IOException {
    Map<String, Object> doc = new Yaml().load(Files.readString(DIR.resolve("prometheus/tests/inferscope-alerts-test.yml")));
    Map<String, int[]> cases = new java.util.HashMap<>();
    for (Object t : (List<Object>) doc.get("tests")) {
      for (Object a : (List<Object>) ((Map<String, Object>) t).get("alert_rule_test")) {
        Map<String, Object> at = (Map<String, Object>) a;
        int[] c = cases.computeIfAbsent((String) at.get("alertname"), k -> new int[2]);
        c[((List<Object>) at.get("exp_alerts")).isEmpty() ? 1 : 0]++;
      }
    }
    for (Map<String, Object> r : alertRules()) {
      if (r.containsKey("alert")) {
        int[] c = cases.get(r.get("alert"));
        assertThat(c).as(r.get("alert") + " tests").isNotNull();
        assertThat(c[0]).as(r.get("alert") + " firing cases").isPositive();
        assertThat(c[1]).as(r.get("alert") + " non-firing cases").isPositive();
      }
    }
  }

  @Test
  void collectorAndComposeFilesAreValidYaml() throws IOException {
    Map<String, Object> collector = new Yaml().load(Files.readString(DIR.resolve("otel-collector/config.yaml")));
    assertThat(collector).containsKeys("receivers", "processors", "exporters", "service");
    String text = Files.readString(DIR.resolve("otel-collector/config.yaml"));
    assertThat(text).contains("sampling_percentage: 5").contains("status_codes: [ERROR]").contains("threshold_ms: 1000");
    Map<String, Object> compose = new Yaml().load(Files.readString(DIR.resolve("docker-compose.yml")));
    @SuppressWarnings("unchecked")
    Map<String, Object> services = (Map<String, Object>) compose.get("services");
    assertThat(services).containsKeys("otel-collector", "prometheus", "tempo", "loki", "grafana");
  }

  @Test
  void promtoolChecksAndUnitTestsTheRules() throws Exception {
    if (Boolean.getBoolean("inferscope.promtool.skip")) {
      Assumptions.abort("promtool tests skipped by -Dinferscope.promtool.skip=true");
    }
    if (!onPath("promtool")) {
      fail("promtool is not installed. Install it (Debian: apt-get install prometheus) or pass "
          + "-Dinferscope.promtool.skip=true to skip these checks explicitly.");
    }
    run("promtool", "check", "rules", "prometheus/rules/inferscope-alerts.yml");
    run("promtool", "test", "rules", "prometheus/tests/inferscope-alerts-test.yml");
  }

  private static boolean onPath(String cmd) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, cmd))) {
        return true;
      }
    }
    return false;
  }

  private static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
    assertThat(out).contains("SUCCESS");
  }
}
