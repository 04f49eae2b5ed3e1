package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Every metric the dashboards and rules use is in metrics-contract.txt, and the file is well formed. */
class MetricsContractTest {
  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

  @Test
  void contractIsWellFormed() {
    List<Assets.ContractEntry> entries = Assets.contract();
    assertThat(entries).hasSizeGreaterThan(50);
    Set<String> seen = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (Assets.ContractEntry e : entries) {
      if (!METRIC_NAME.matcher(e.name()).matches()) {
        problems.add("line " + e.line() + ": bad name " + e.name());
      }
      if (!Assets.SOURCES.contains(e.source())) {
        problems.add("line " + e.line() + ": unknown source '" + e.source() + "' (one of " + Assets.SOURCES + ")");
      }
      if (!seen.add(e.name())) {
        problems.add("line " + e.line() + ": duplicate " + e.name());
      }
      if (e.source().equals("recording") != e.name().contains(":") && !e.source().equals("vllm")) {
        problems.add("line " + e.line() + ": only recording rules (level:metric:operation) and vLLM use colons");
      }
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void everyMetricInDashboardsIsInTheContract() {
    Set<String> contract = contractNames();
    List<String> unknown = new ArrayList<>();
    int exprs = 0;
    for (Path p : Assets.dashboardFiles()) {
      JsonNode d = Assets.json(p);
      for (JsonNode panel : Assets.panels(d)) {
        for (JsonNode t : panel.path("targets")) {
          exprs++;
          for (String m : PromQl.metrics(t.path("expr").asString(""))) {
            if (!contract.contains(m)) {
              unknown.add(p.getFileName() + " panel '" + panel.path("title").asString() + "': " + m);
            }
          }
        }
      }
      for (JsonNode v : d.path("templating").path("list")) {
        if (v.path("type").asString("").equals("query")) {
          JsonNode q = v.path("query");
          String query = q.isObject() ? q.path("query").asString("") : q.asString("");
          for (String m : PromQl.metricsOfVariableQuery(query)) {
            if (!contract.contains(m)) {
              unknown.add(p.getFileName() + " variable " + v.path("name").asString() + ": " + m);
            }
          }
        }
      }
    }
    assertThat(exprs).as("dashboard queries found").isGreaterThan(40);
    assertThat(unknown).as("metrics not in metrics-contract.txt").isEmpty();
  }

  @Test
  void everyMetricInTheRulesIsInTheContract() {
    Set<String> contract = contractNames();
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, Map<String, Object>> r : Assets.rules().entrySet()) {
      for (String m : PromQl.metrics(String.valueOf(r.getValue().get("expr")))) {
        if (!contract.contains(m)) {
          unknown.add(r.getKey() + ": " + m);
        }
      }
    }
    assertThat(Assets.rules()).hasSizeGreaterThan(10);
    assertThat(unknown).as("metrics not in metrics-contract.txt").isEmpty();
  }

  @Test
  void recordingEntriesAreExactlyTheRecordedSeries() {
    Set<String> recorded = new TreeSet<>();
    Assets.rules().values().stream().filter(r -> r.containsKey("record"))
        .forEach(r -> recorded.add(String.valueOf(r.get("record"))));
    Set<String> listed = new TreeSet<>();
    Assets.contract().stream().filter(e -> e.source().equals("recording")).forEach(e -> listed.add(e.name()));
    assertThat(listed).isEqualTo(recorded);
  }

  private static Set<String> contractNames() {
    Set<String> names = new HashSet<>();
    Assets.contract().forEach(e -> names.add(e.name()));
    return names;
  }
}
