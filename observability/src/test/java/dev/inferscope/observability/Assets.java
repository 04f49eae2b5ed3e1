package dev.inferscope.observability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Locations and loaders of the observability assets, shared by the tests. */
final class Assets {
  /** The module directory (Surefire runs tests with the module as working directory). */
  static final Path DIR = locate();
  /** The repository root. */
  static final Path ROOT = DIR.getParent();
  /** Where runbook links must point: the repository's files on GitHub (root POM's url). */
  static final String RUNBOOK_BASE = "https://github.com/inferscope/inferscope/blob/main/";
  /** The sources a contract entry may name. */
  static final Set<String> SOURCES = Set.of("sdk", "recording", "triton", "vllm", "dcgm", "resilience4j");

  private static final ObjectMapper JSON = new ObjectMapper();

  private Assets() {}

  private static Path locate() {
    Path here = Path.of("").toAbsolutePath().normalize();
    for (Path p : new Path[] {here, here.resolve("observability")}) {
      if (Files.isRegularFile(p.resolve("metrics-contract.txt"))) {
        return p;
      }
    }
    throw new IllegalStateException("run the tests from observability/ or the repository root, not " + here);
  }

  /** One line of metrics-contract.txt. */
  record ContractEntry(String name, String source, int line) {}

  /** The entries of metrics-contract.txt in file order. */
  static List<ContractEntry> contract() {
    List<ContractEntry> out = new ArrayList<>();
    List<String> lines = readLines(DIR.resolve("metrics-contract.txt"));
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      String[] parts = l.split("\\s+");
      out.add(new ContractEntry(parts[0], parts.length > 1 ? parts[1] : "", i + 1));
      if (parts.length != 2) {
        out.add(new ContractEntry("<line " + (i + 1) + " is not 'name source'>", "", i + 1));
      }
    }
    return out;
  }

  static List<Path> dashboardFiles() {
    return list(DIR.resolve("grafana/dashboards"), ".json");
  }

  static JsonNode json(Path p) {
    return JSON.readTree(p.toFile());
  }

  /** Every panel of a dashboard, rows' nested panels included. */
  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    collectPanels(dashboard.path("panels"), out);
    return out;
  }

  private static void collectPanels(JsonNode panels, List<JsonNode> out) {
    for (JsonNode p : panels) {
      out.add(p);
      collectPanels(p.path("panels"), out);
    }
  }

  static List<Path> ruleFiles() {
    return list(DIR.resolve("prometheus/rules"), ".yml");
  }

  static List<Path> ruleTestFiles() {
    return list(DIR.resolve("prometheus/tests"), ".yml");
  }

  /** Every rule (recording and alerting) of every rule file, keyed "file: name". */
  @SuppressWarnings("unchecked")
  static Map<String, Map<String, Object>> rules() {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (Path f : ruleFiles()) {
      Map<String, Object> doc = yaml(f);
      for (Object g : (List<Object>) doc.get("groups")) {
        for (Map<String, Object> r : (List<Map<String, Object>>) ((Map<String, Object>) g).get("rules")) {
          Object name = r.containsKey("alert") ? r.get("alert") : r.get("record");
          out.put(f.getFileName() + ": " + name, r);
        }
      }
    }
    return out;
  }

  /** The alerting rules only, keyed by alert name. */
  static Map<String, Map<String, Object>> alerts() {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    rules().values().stream().filter(r -> r.containsKey("alert"))
        .forEach(r -> out.put(String.valueOf(r.get("alert")), r));
    return out;
  }

  static Map<String, Object> yaml(Path p) {
    try {
      return new Yaml().load(Files.readString(p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> readLines(Path p) {
    try {
      return Files.readAllLines(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> list(Path dir, String suffix) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
