package dev.inferscope.core.internal;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/**
 * A small JSON tree reader and writer on jackson-core's streaming API: objects become
 * {@code LinkedHashMap<String,Object>}, arrays {@code ArrayList<Object>}, numbers {@code Long},
 * {@code Double} or {@code BigDecimal}/{@code BigInteger}. Malformed input becomes an
 * {@link InferenceException} of type {@link ErrorType#PROTOCOL} whose message holds no input text.
 * Internal API: not for use outside Inferscope, may change without notice.
 */
public final class Json {
  /** Nesting deeper than this is rejected. */
  public static final int MAX_DEPTH = 64;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(MAX_DEPTH)
          .maxStringLength(64 * 1024 * 1024)
          .maxNumberLength(1000)
          .build())
      .build();

  private Json() {}

  /** The shared factory (for streaming writers). */
  public static JsonFactory factory() {
    return FACTORY;
  }

  /** Parses a whole document. */
  public static @Nullable Object parse(byte[] bytes, String what) {
    return parse(bytes, 0, bytes.length, what);
  }

  /** Parses a whole document from a slice. */
  public static @Nullable Object parse(byte[] bytes, int offset, int length, String what) {
    try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), bytes, offset, length)) {
      return parseWhole(p, what);
    } catch (JacksonException e) {
      throw malformed(what, e);
    }
  }

  /** Parses a whole document. */
  public static @Nullable Object parse(String text, String what) {
    try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), text)) {
      return parseWhole(p, what);
    } catch (JacksonException e) {
      throw malformed(what, e);
    }
  }

  /** Parses a document that must be an object. */
  public static Map<String, Object> parseObject(byte[] bytes, String what) {
    Object o = parse(bytes, what);
    if (!(o instanceof Map)) {
      throw InferenceException.of(ErrorType.PROTOCOL, what + " is not a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) o;
    return m;
  }

  /** Parses a document that must be an object. */
  public static Map<String, Object> parseObject(String text, String what) {
    Object o = parse(text, what);
    if (!(o instanceof Map)) {
      throw InferenceException.of(ErrorType.PROTOCOL, what + " is not a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) o;
    return m;
  }

  private static @Nullable Object parseWhole(JsonParser p, String what) {
    JsonToken t = p.nextToken();
    if (t == null) {
      throw InferenceException.of(ErrorType.PROTOCOL, what + " is empty");
    }
    Object value = read(p, t);
    if (p.nextToken() != null) {
      throw InferenceException.of(ErrorType.PROTOCOL, what + " has trailing content after the JSON value");
    }
    return value;
  }

  private static InferenceException malformed(String what, JacksonException e) {
    // The parser's message quotes input: keep only the location.
    String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
        + ", column " + e.getLocation().getColumnNr();
    return InferenceException.builder(ErrorType.PROTOCOL, "malformed JSON in " + what + where).build();
  }

  private static @Nullable Object read(JsonParser p, JsonToken t) {
    switch (t) {
      case START_OBJECT: {
        Map<String, Object> m = new LinkedHashMap<>();
        JsonToken n;
        while ((n = p.nextToken()) == JsonToken.PROPERTY_NAME) {
          String name = p.currentName();
          JsonToken v = p.nextToken();
          if (v == null) {
            throw InferenceException.of(ErrorType.PROTOCOL, "truncated JSON object");
          }
          m.put(name, read(p, v));
        }
        if (n != JsonToken.END_OBJECT) {
          throw InferenceException.of(ErrorType.PROTOCOL, "truncated JSON object");
        }
        return m;
      }
      case START_ARRAY: {
        List<Object> l = new ArrayList<>();
        JsonToken n;
        while ((n = p.nextToken()) != JsonToken.END_ARRAY) {
          if (n == null) {
            throw InferenceException.of(ErrorType.PROTOCOL, "truncated JSON array");
          }
          l.add(read(p, n));
        }
        return l;
      }
      case VALUE_STRING:
        return p.getString();
      case VALUE_NUMBER_INT:
        switch (p.getNumberType()) {
          case INT, LONG:
            return p.getLongValue();
          default:
            return p.getBigIntegerValue();
        }
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw InferenceException.of(ErrorType.PROTOCOL, "unexpected JSON token " + t);
    }
  }

  /** Writes a tree (maps, lists, strings, numbers, booleans, null) as compact JSON. */
  public static String write(@Nullable Object value) {
    StringWriter w = new StringWriter(128);
    try (JsonGenerator g = FACTORY.createGenerator(ObjectWriteContext.empty(), w)) {
      write(g, value);
    }
    return w.toString();
  }

  /** Writes a tree value with an open generator. */
  public static void write(JsonGenerator g, @Nullable Object value) {
    if (value == null) {
      g.writeNull();
    } else if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Integer i) {
      g.writeNumber(i);
    } else if (value instanceof Long l) {
      g.writeNumber(l);
    } else if (value instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        g.writeNull();
      } else {
        g.writeNumber(d);
      }
    } else if (value instanceof Float f) {
      g.writeNumber(f);
    } else if (value instanceof BigDecimal bd) {
      g.writeNumber(bd);
    } else if (value instanceof BigInteger bi) {
      g.writeNumber(bi);
    } else if (value instanceof Number n) {
      g.writeNumber(n.doubleValue());
    } else if (value instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeName(String.valueOf(e.getKey()));
        write(g, e.getValue());
      }
      g.writeEndObject();
    } else if (value instanceof Iterable<?> it) {
      g.writeStartArray();
      for (Object o : it) {
        write(g, o);
      }
      g.writeEndArray();
    } else {
      throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
    }
  }

  // Typed accessors that turn wrong types into PROTOCOL errors.

  /** A string member, or {@code null} when absent or null. */
  public static @Nullable String string(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof String s) {
      return s;
    }
    throw InferenceException.of(ErrorType.PROTOCOL, "field " + key + " is not a string");
  }

  /** A numeric member as long, or {@code fallback}. */
  public static long longValue(Map<String, Object> m, String key, long fallback) {
    Object v = m.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    throw InferenceException.of(ErrorType.PROTOCOL, "field " + key + " is not a number");
  }

  /** A numeric member as double, or NaN. */
  public static double doubleValue(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      return Double.NaN;
    }
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    throw InferenceException.of(ErrorType.PROTOCOL, "field " + key + " is not a number");
  }

  /** An object member, or {@code null}. */
  @SuppressWarnings("unchecked")
  public static @Nullable Map<String, Object> object(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Map) {
      return (Map<String, Object>) v;
    }
    throw InferenceException.of(ErrorType.PROTOCOL, "field " + key + " is not an object");
  }

  /** An array member, or an empty list. */
  @SuppressWarnings("unchecked")
  public static List<Object> array(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof List) {
      return (List<Object>) v;
    }
    throw InferenceException.of(ErrorType.PROTOCOL, "field " + key + " is not an array");
  }

  /** Casts an array element to an object, or throws PROTOCOL. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> asObject(@Nullable Object o, String what) {
    if (o instanceof Map) {
      return (Map<String, Object>) o;
    }
    throw InferenceException.of(ErrorType.PROTOCOL, what + " is not an object");
  }
}
