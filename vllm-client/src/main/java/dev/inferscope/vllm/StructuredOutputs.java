package dev.inferscope.vllm;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * vLLM's {@code structured_outputs}: output constrained to a JSON schema, a regular expression, one of
 * several choices, or a grammar (vllm-project/vllm {@code vllm/sampling_params.py},
 * {@code StructuredOutputsParams}: {@code json}, {@code regex}, {@code choice}, {@code grammar},
 * {@code json_object}). It replaces the {@code guided_json}, {@code guided_regex}, {@code guided_choice}
 * and {@code guided_grammar} request fields, which vLLM 0.12 removed. The constraint is sent, never
 * recorded.
 */
public final class StructuredOutputs {
  private final String kind;
  private final Object value;

  private StructuredOutputs(String kind, Object value) {
    this.kind = kind;
    this.value = value;
  }

  /** Output that matches a JSON Schema (maps and lists). */
  public static StructuredOutputs json(Map<String, Object> schema) {
    return new StructuredOutputs("json", Map.copyOf(Objects.requireNonNull(schema, "schema")));
  }

  /** Output that matches a regular expression. */
  public static StructuredOutputs regex(String pattern) {
    return new StructuredOutputs("regex", Objects.requireNonNull(pattern, "pattern"));
  }

  /** Output that is exactly one of {@code choices}. */
  public static StructuredOutputs choice(List<String> choices) {
    if (choices.isEmpty()) {
      throw new IllegalArgumentException("a choice constraint needs at least one choice");
    }
    return new StructuredOutputs("choice", List.copyOf(choices));
  }

  /** Output in a context-free grammar (EBNF, as the server's backend reads it). */
  public static StructuredOutputs grammar(String grammar) {
    return new StructuredOutputs("grammar", Objects.requireNonNull(grammar, "grammar"));
  }

  /** Any JSON object. */
  public static StructuredOutputs jsonObject() {
    return new StructuredOutputs("json_object", Boolean.TRUE);
  }

  /** {@code json}, {@code regex}, {@code choice}, {@code grammar} or {@code json_object}. */
  public String kind() {
    return kind;
  }

  /** The constraint as sent: a schema map, a string, a list of strings, or {@code true}. */
  public Object value() {
    return value;
  }

  /** Whether the output is JSON. */
  public boolean json() {
    return kind.equals("json") || kind.equals("json_object");
  }

  @Override
  public String toString() {
    return "StructuredOutputs[" + kind + "]";
  }
}
