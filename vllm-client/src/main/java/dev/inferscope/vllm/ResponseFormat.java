package dev.inferscope.vllm;

import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The OpenAI {@code response_format}: plain text, any JSON object, or JSON that matches a schema
 * (vllm-project/vllm {@code vllm/entrypoints/generate/base/protocol.py}, {@code ResponseFormat} and
 * {@code JsonSchemaResponseFormat}: {@code {"type":"json_schema","json_schema":{"name","description",
 * "schema","strict"}}}). The schema is sent, never recorded; spans say only {@code gen_ai.output.type=json}.
 */
public final class ResponseFormat {
  private static final ResponseFormat TEXT = new ResponseFormat("text", null, null, null, null);
  private static final ResponseFormat JSON_OBJECT = new ResponseFormat("json_object", null, null, null, null);

  private final String type;
  private final @Nullable String name;
  private final @Nullable String description;
  private final @Nullable Map<String, Object> schema;
  private final @Nullable Boolean strict;

  private ResponseFormat(String type, @Nullable String name, @Nullable String description,
      @Nullable Map<String, Object> schema, @Nullable Boolean strict) {
    this.type = type;
    this.name = name;
    this.description = description;
    this.schema = schema;
    this.strict = strict;
  }

  /** Plain text (the default). */
  public static ResponseFormat text() {
    return TEXT;
  }

  /** Any JSON object. */
  public static ResponseFormat jsonObject() {
    return JSON_OBJECT;
  }

  /** JSON matching {@code schema} (a JSON Schema as maps and lists), named {@code name}. */
  public static ResponseFormat jsonSchema(String name, Map<String, Object> schema) {
    return jsonSchema(name, null, schema, null);
  }

  /**
   * JSON matching {@code schema}.
   *
   * @param name the schema's name (letters, digits, {@code _}, {@code -}; at most 64)
   * @param description what the output is, or {@code null}
   * @param schema a JSON Schema as maps and lists
   * @param strict whether the server must follow the schema exactly, or {@code null}
   */
  public static ResponseFormat jsonSchema(String name, @Nullable String description, Map<String, Object> schema,
      @Nullable Boolean strict) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("a schema name is 1 to 64 letters, digits, '_' or '-'");
    }
    return new ResponseFormat("json_schema", name, description, Map.copyOf(Objects.requireNonNull(schema, "schema")),
        strict);
  }

  /** {@code text}, {@code json_object} or {@code json_schema}. */
  public String type() {
    return type;
  }

  public @Nullable String name() {
    return name;
  }

  public @Nullable String description() {
    return description;
  }

  public @Nullable Map<String, Object> schema() {
    return schema;
  }

  public @Nullable Boolean strict() {
    return strict;
  }

  /** Whether the output is JSON. */
  public boolean json() {
    return !type.equals("text");
  }

  @Override
  public String toString() {
    return "ResponseFormat[" + type + (name == null ? "" : " " + name) + "]";
  }
}
