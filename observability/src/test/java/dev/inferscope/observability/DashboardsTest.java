package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The Grafana dashboards are valid, provisioning-ready and filter per model. */
class DashboardsTest {
  private static final Set<String> EXPECTED = Set.of("overview.json", "model-latency.json", "gpu.json", "quality.json");

  @Test
  void theFourDashboardsExistAndParse() {
    Set<String> names = new HashSet<>();
    for (Path p : Assets.dashboardFiles()) {
      names.add(p.getFileName().toString());
      JsonNode d = Assets.json(p);
      assertThat(d.isObject()).as(p + " is a JSON object").isTrue();
    }
    assertThat(names).containsExactlyInAnyOrderElementsOf(EXPECTED);
  }

  @Test
  void uidsAndTitlesAreUniqueAndProvisioningReady() {
    Set<String> uids = new HashSet<>();
    Set<String> titles = new HashSet<>();
    for (Path p : Assets.dashboardFiles()) {
      JsonNode d = Assets.json(p);
      String uid = d.path("uid").asString("");
      assertThat(uid).as(p + " uid").matches("[a-z0-9-]{1,40}");
      assertThat(uids.add(uid)).as("unique uid " + uid).isTrue();
      assertThat(titles.add(d.path("title").asString(""))).as("unique dashboard title in " + p).isTrue();
      // provisioned dashboards carry no database id; the schema version lets Grafana migrate them
      assertThat(d.path("id").isNull()).as(p + " id is null").isTrue();
      assertThat(d.path("schemaVersion").asInt()).as(p + " schemaVersion").isGreaterThanOrEqualTo(36);
      assertThat(d.path("tags").toString()).contains("inferscope");
    }
  }

  @Test
  void panelIdsAndTitlesAreUniqueWithinEachDashboard() {
    for (Path p : Assets.dashboardFiles()) {
      Set<Integer> ids = new HashSet<>();
      Set<String> titles = new HashSet<>();
      List<JsonNode> panels = Assets.panels(Assets.json(p));
      assertThat(panels).as(p + " panels").hasSizeGreaterThanOrEqualTo(5);
      for (JsonNode panel : panels) {
        assertThat(panel.path("id").isInt()).as(p + " panel id " + panel.path("title")).isTrue();
        assertThat(ids.add(panel.path("id").asInt())).as("unique panel id " + panel.path("id") + " in " + p).isTrue();
        String title = panel.path("title").asString("");
        assertThat(title).as("panel title in " + p).isNotBlank();
        assertThat(titles.add(title)).as("unique panel title '" + title + "' in " + p).isTrue();
      }
    }
  }

  @Test
  void panelsDoNotOverlap() {
    for (Path p : Assets.dashboardFiles()) {
      List<int[]> boxes = new ArrayList<>();
      for (JsonNode panel : Assets.json(p).path("panels")) {
        JsonNode g = panel.path("gridPos");
        int[] b = {g.path("x").asInt(-1), g.path("y").asInt(-1), g.path("w").asInt(0), g.path("h").asInt(0)};
        assertThat(b[0]).as(p + " gridPos of " + panel.path("title")).isBetween(0, 23);
        assertThat(b[0] + b[2]).as(p + " width of " + panel.path("title")).isBetween(1, 24);
        for (int[] o : boxes) {
          boolean overlap = b[0] < o[0] + o[2] && o[0] < b[0] + b[2] && b[1] < o[1] + o[3] && o[1] < b[1] + b[3];
          assertThat(overlap).as(p + ": '" + panel.path("title") + "' overlaps another panel").isFalse();
        }
        boxes.add(b);
      }
    }
  }

  @Test
  void everyQueryUsesTheDatasourceVariable() {
    for (Path p : Assets.dashboardFiles()) {
      JsonNode d = Assets.json(p);
      JsonNode ds = variable(d, "datasource");
      assertThat(ds).as(p + " has a datasource variable").isNotNull();
      assertThat(ds.path("type").asString()).isEqualTo("datasource");
      assertThat(ds.path("query").asString()).isEqualTo("prometheus");
      for (JsonNode v : d.path("templating").path("list")) {
        if (v.path("type").asString("").equals("query")) {
          assertThat(v.path("datasource").path("uid").asString()).as(p + " variable " + v.path("name"))
              .isEqualTo("${datasource}");
        }
      }
      for (JsonNode panel : Assets.panels(d)) {
        if (panel.path("type").asString("").equals("row")) {
          continue;
        }
        assertThat(panel.path("datasource").path("uid").asString("")).as(p + " panel " + panel.path("title"))
            .isEqualTo("${datasource}");
        assertThat(panel.path("targets").size()).as(p + " panel " + panel.path("title") + " targets").isPositive();
        Set<String> refIds = new HashSet<>();
        for (JsonNode t : panel.path("targets")) {
          assertThat(t.path("expr").asString("")).as(p + " panel " + panel.path("title") + " expr").isNotBlank();
          assertThat(refIds.add(t.path("refId").asString(""))).as(p + " unique refId in " + panel.path("title")).isTrue();
          if (t.has("datasource")) {
            assertThat(t.path("datasource").path("uid").asString()).isEqualTo("${datasource}");
          }
        }
      }
    }
  }

  /**
   * Per model: every dashboard with a {@code model} variable filters each query on a per-model series
   * (Inferscope's client and server meters, Triton's, vLLM's, the recording rules) by it; GPU, drift-free
   * resilience4j and dcgm series have no model label and are exempt.
   */
  @Test
  void perModelQueriesFilterOnTheModelVariable() {
    Map<String, String> sources = new HashMap<>();
    Assets.contract().forEach(e -> sources.put(e.name(), e.source()));
    List<String> unfiltered = new ArrayList<>();
    int dashboardsWithModel = 0;
    for (Path p : Assets.dashboardFiles()) {
      JsonNode d = Assets.json(p);
      if (variable(d, "model") == null) {
        continue;
      }
      dashboardsWithModel++;
      for (JsonNode panel : Assets.panels(d)) {
        for (JsonNode t : panel.path("targets")) {
          String expr = t.path("expr").asString("");
          boolean perModel = PromQl.metrics(expr).stream().anyMatch(m -> {
            String s = sources.getOrDefault(m, "");
            return (s.equals("sdk") && !m.startsWith("hw_gpu_")) || s.equals("triton") || s.equals("vllm")
                || s.equals("recording");
          });
          if (perModel && !expr.contains("$model") && !expr.contains("${model")) {
            unfiltered.add(p.getFileName() + " '" + panel.path("title").asString() + "': " + expr);
          }
        }
      }
    }
    assertThat(dashboardsWithModel).isGreaterThanOrEqualTo(3);
    assertThat(unfiltered).as("per-model queries without $model").isEmpty();
  }

  @Test
  void theModelLatencyDashboardStacksThePhases() {
    JsonNode d = Assets.json(Assets.DIR.resolve("grafana/dashboards/model-latency.json"));
    JsonNode phases = Assets.panels(d).stream()
        .filter(p -> p.path("title").asString("").startsWith("Where the time goes")).findFirst().orElseThrow();
    assertThat(phases.path("fieldConfig").path("defaults").path("custom").path("stacking").path("mode").asString())
        .isEqualTo("normal");
    StringBuilder exprs = new StringBuilder();
    phases.path("targets").forEach(t -> exprs.append(t.path("expr").asString()).append('\n'));
    assertThat(exprs.toString()).contains("phase=\"client_queue\"", "phase=\"network\"", "phase=\"server_queue\"",
        "phase=\"server_compute\"");
    assertThat(phases.path("repeat").asString("")).as("one panel per selected model").isEqualTo("model");
  }

  private static JsonNode variable(JsonNode dashboard, String name) {
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (v.path("name").asString("").equals(name)) {
        return v;
      }
    }
    return null;
  }
}
