package dev.inferscope.vllm;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A function the model may call. Its description and parameter schema are sent to the server and never
 * recorded; telemetry counts the tools offered, nothing more.
 *
 * <p>Wire shape: {@code {"type":"function","function":{"name","description","parameters","strict"}}}
 * (vllm-project/vllm {@code vllm/entrypoints/openai/chat_completion/protocol.py},
 * {@code ChatCompletionToolsParam}; {@code FunctionDefinition} in
 * {@code vllm/entrypoints/generate/base/protocol.py}).
 *
 * @param name the function name: letters, digits, {@code _} and {@code -}, at most 64
 * @param description what it does, or {@code null}
 * @param parameters a JSON Schema object for its arguments (maps, lists, strings, numbers, booleans), or
 *     {@code null}
 * @param strict whether the server should hold the arguments to the schema exactly, or {@code null}
 */
public record Tool(String name, @Nullable String description, @Nullable Map<String, Object> parameters,
    @Nullable Boolean strict) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  public Tool {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "a tool name is 1 to 64 letters, digits, '_' or '-' (got " + name.length() + " chars)");
    }
    parameters = parameters == null ? null : Map.copyOf(parameters);
  }

  /** A function tool with a JSON-schema parameters object. */
  public static Tool function(String name, @Nullable String description, @Nullable Map<String, Object> parameters) {
    return new Tool(name, description, parameters, null);
  }

  @Override
  public String toString() {
    return "Tool[name=" + name + ", parameters=" + (parameters == null ? "none" : "<schema>") + "]";
  }
}
