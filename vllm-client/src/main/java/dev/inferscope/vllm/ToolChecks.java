package dev.inferscope.vllm;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** The build-time checks on a request's tools and tool choice, the same for chat and the Responses API. */
final class ToolChecks {
  private ToolChecks() {}

  static void check(List<Tool> tools, @Nullable ToolChoice choice) {
    if (choice != null && choice.functionName() != null
        && tools.stream().noneMatch(t -> t.name().equals(choice.functionName()))) {
      throw new IllegalArgumentException("tool choice names function " + choice.functionName()
          + ", which is not among the request's tools");
    }
    if (choice != null && !choice.mode().equals("none") && tools.isEmpty()) {
      throw new IllegalArgumentException("tool choice " + choice.mode() + " needs at least one tool");
    }
    Set<String> names = new HashSet<>();
    for (Tool t : tools) {
      if (!names.add(t.name())) {
        throw new IllegalArgumentException("two tools are named " + t.name());
      }
    }
  }
}
