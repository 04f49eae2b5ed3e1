package dev.inferscope.vllm.internal;

import dev.inferscope.vllm.Choice;
import dev.inferscope.vllm.StreamChunk;
import dev.inferscope.vllm.Usage;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads the common shape of a streamed chat or text completion chunk straight from its text, with no
 * parser object, token or map per chunk (creating a JSON parser per chunk was most of a streaming
 * client's allocation). Strict: anything it is not sure of (an error object, a field of an unexpected
 * type, an escape it does not decode, deep nesting, any JSON it would have to be lenient about) makes it
 * give up, and {@link OpenAiCodec#decodeChunkGeneric} answers instead — so whenever this answers, the
 * answer is the generic decoder's (checked by a differential fuzz test).
 */
final class ChunkScanner {
  private static final int MAX_DEPTH = 48;
  private static final int MAX_NUMBER_LENGTH = 1000;

  /** Thrown (without a stack trace) to give up. */
  private static final class GiveUp extends RuntimeException {
    private static final long serialVersionUID = 1L;
    static final GiveUp INSTANCE = new GiveUp();

    private GiveUp() {
      super(null, null, false, false);
    }
  }

  private final String s;
  private final int n;
  private int i;

  private ChunkScanner(String s) {
    this.s = s;
    this.n = s.length();
  }

  /** The chunk, or null where the generic decoder must decide. */
  static @Nullable StreamChunk scan(String data, boolean chat) {
    try {
      return new ChunkScanner(data).chunk(chat);
    } catch (GiveUp | IndexOutOfBoundsException | NumberFormatException e) {
      return null;
    }
  }

  private StreamChunk chunk(boolean chat) {
    ws();
    expect('{');
    String id = null;
    String model = null;
    List<Choice> choices = List.of();
    Usage usage = null;
    ws();
    if (peek() != '}') {
      while (true) {
        String key = key();
        switch (key) {
          case "id" -> id = stringOrNull();
          case "model" -> model = stringOrNull();
          case "choices" -> {
            if (literalNull()) {
              choices = List.of();
            } else {
              choices = choices(chat);
            }
          }
          case "usage" -> usage = literalNull() ? null : usage();
          case "error" -> throw GiveUp.INSTANCE;
          case "object" -> {
            if (peek() == '"') {
              if ("error".equals(string())) {
                throw GiveUp.INSTANCE;
              }
            } else {
              skipValue(1);
            }
          }
          default -> skipValue(1);
        }
        if (!nextMember()) {
          break;
        }
      }
    } else {
      i++;
    }
    ws();
    if (i != n) {
      throw GiveUp.INSTANCE; // trailing content
    }
    return new StreamChunk(id, model, choices, usage);
  }

  private List<Choice> choices(boolean chat) {
    expect('[');
    List<Choice> out = new ArrayList<>(1);
    ws();
    if (peek() == ']') {
      i++;
      return out;
    }
    while (true) {
      ws();
      out.add(choice(chat, out.size()));
      ws();
      char c = next();
      if (c == ']') {
        return out;
      }
      if (c != ',') {
        throw GiveUp.INSTANCE;
      }
    }
  }

  private Choice choice(boolean chat, int position) {
    expect('{');
    long index = position;
    String text = null;
    String role = null;
    String finish = null;
    String reasoning = null;
    String reasoningContent = null;
    boolean sawDelta = false;
    ws();
    if (peek() == '}') {
      i++;
      return new Choice(position, "", null, null);
    }
    while (true) {
      String key = key();
      if (key.equals("index")) {
        index = literalNull() ? position : number();
      } else if (key.equals("finish_reason")) {
        finish = stringOrNull();
      } else if (key.equals("logprobs")) {
        if (!literalNull()) {
          throw GiveUp.INSTANCE; // log probabilities: the generic decoder reads them
        }
      } else if (chat && key.equals("delta")) {
        text = null;
        role = null;
        reasoning = null;
        reasoningContent = null;
        sawDelta = !literalNull();
        if (sawDelta) {
          expect('{');
          ws();
          if (peek() == '}') {
            i++;
          } else {
            while (true) {
              String dk = key();
              if (dk.equals("content")) {
                text = stringOrNull();
              } else if (dk.equals("role")) {
                role = stringOrNull();
              } else if (dk.equals("reasoning")) {
                reasoning = stringOrNull();
              } else if (dk.equals("reasoning_content")) {
                reasoningContent = stringOrNull();
              } else if (dk.equals("tool_calls")) {
                if (!literalNull()) {
                  throw GiveUp.INSTANCE; // tool-call fragments: the generic decoder reads them
                }
              } else {
                skipValue(3);
              }
              if (!nextMember()) {
                break;
              }
            }
          }
        }
      } else if (!chat && key.equals("text")) {
        text = stringOrNull();
      } else {
        skipValue(2);
      }
      if (!nextMember()) {
        break;
      }
    }
    String r = reasoning != null ? reasoning : reasoningContent;
    return new Choice((int) index, text == null ? "" : text, chat && sawDelta ? role : null, finish,
        r == null ? "" : r, List.of(), List.of(), List.of());
  }

  private Usage usage() {
    expect('{');
    long prompt = -1;
    long completion = -1;
    long total = -1;
    ws();
    if (peek() == '}') {
      i++;
      return new Usage(prompt, completion, total);
    }
    while (true) {
      String key = key();
      switch (key) {
        case "prompt_tokens" -> prompt = literalNull() ? -1 : number();
        case "completion_tokens" -> completion = literalNull() ? -1 : number();
        case "total_tokens" -> total = literalNull() ? -1 : number();
        case "prompt_tokens_details", "completion_tokens_details" -> {
          if (!literalNull()) {
            throw GiveUp.INSTANCE; // token details: the generic decoder reads them
          }
        }
        default -> skipValue(2);
      }
      if (!nextMember()) {
        break;
      }
    }
    return new Usage(prompt, completion, total);
  }

  // ---------------------------------------------------------------------------------------------
  // lexing

  /** A member name and its colon; leaves the position at the value. */
  private String key() {
    ws();
    String k = string();
    ws();
    expect(':');
    ws();
    return k;
  }

  /** After a member's value: true at a comma (another member follows), false at the closing brace. */
  private boolean nextMember() {
    ws();
    char c = next();
    if (c == ',') {
      return true;
    }
    if (c == '}') {
      return false;
    }
    throw GiveUp.INSTANCE;
  }

  private boolean literalNull() {
    if (s.startsWith("null", i)) {
      i += 4;
      return true;
    }
    return false;
  }

  private @Nullable String stringOrNull() {
    if (literalNull()) {
      return null;
    }
    if (peek() != '"') {
      throw GiveUp.INSTANCE; // not a string: the generic decoder reports the type
    }
    return string();
  }

  private String string() {
    expect('"');
    int start = i;
    while (true) {
      char c = s.charAt(i);
      if (c == '"') {
        String v = s.substring(start, i);
        i++;
        return v;
      }
      if (c == '\\') {
        return escapedString(start);
      }
      if (c < 0x20) {
        throw GiveUp.INSTANCE; // an unescaped control character is not JSON
      }
      i++;
    }
  }

  private String escapedString(int start) {
    StringBuilder b = new StringBuilder(i - start + 16).append(s, start, i);
    while (true) {
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw GiveUp.INSTANCE;
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          int cp = 0;
          for (int k = 0; k < 4; k++) {
            int d = Character.digit(s.charAt(i++), 16);
            if (d < 0) {
              throw GiveUp.INSTANCE;
            }
            cp = cp * 16 + d;
          }
          if (Character.isSurrogate((char) cp)) {
            throw GiveUp.INSTANCE; // surrogate escapes: left to the generic decoder
          }
          b.append((char) cp);
        }
        default -> throw GiveUp.INSTANCE;
      }
    }
  }

  /** A JSON number as {@code Json} reads it (long, or double for fractions and exponents), as a long. */
  private long number() {
    int start = i;
    if (peek() == '-') {
      i++;
    }
    char c = s.charAt(i);
    if (c == '0') {
      i++;
    } else if (c >= '1' && c <= '9') {
      while (i < n && isDigit(s.charAt(i))) {
        i++;
      }
    } else {
      throw GiveUp.INSTANCE;
    }
    boolean fraction = false;
    if (i < n && s.charAt(i) == '.') {
      fraction = true;
      i++;
      digits();
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      fraction = true;
      i++;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      digits();
    }
    if (i - start > MAX_NUMBER_LENGTH) {
      throw GiveUp.INSTANCE;
    }
    String text = s.substring(start, i);
    if (fraction) {
      return (long) Double.parseDouble(text);
    }
    if (i - start <= 18) {
      return Long.parseLong(text);
    }
    return new BigInteger(text).longValue();
  }

  private void digits() {
    int start = i;
    while (i < n && isDigit(s.charAt(i))) {
      i++;
    }
    if (i == start) {
      throw GiveUp.INSTANCE;
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** Skips one value of any kind, checking that it is well-formed JSON. */
  private void skipValue(int depth) {
    if (depth > MAX_DEPTH) {
      throw GiveUp.INSTANCE;
    }
    char c = peek();
    switch (c) {
      case '"' -> string();
      case '{' -> {
        i++;
        ws();
        if (peek() == '}') {
          i++;
          return;
        }
        while (true) {
          key();
          skipValue(depth + 1);
          if (!nextMember()) {
            return;
          }
        }
      }
      case '[' -> {
        i++;
        ws();
        if (peek() == ']') {
          i++;
          return;
        }
        while (true) {
          ws();
          skipValue(depth + 1);
          ws();
          char e = next();
          if (e == ']') {
            return;
          }
          if (e != ',') {
            throw GiveUp.INSTANCE;
          }
        }
      }
      case 't' -> literal("true");
      case 'f' -> literal("false");
      case 'n' -> literal("null");
      default -> {
        if (c == '-' || isDigit(c)) {
          number();
        } else {
          throw GiveUp.INSTANCE;
        }
      }
    }
  }

  private void literal(String word) {
    if (!s.startsWith(word, i)) {
      throw GiveUp.INSTANCE;
    }
    i += word.length();
  }

  private void ws() {
    while (i < n) {
      char c = s.charAt(i);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      i++;
    }
  }

  private char peek() {
    return s.charAt(i);
  }

  private char next() {
    return s.charAt(i++);
  }

  private void expect(char c) {
    if (s.charAt(i++) != c) {
      throw GiveUp.INSTANCE;
    }
  }
}
