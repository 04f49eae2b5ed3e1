package dev.inferscope.vllm;

import java.util.Objects;

/**
 * One chat message. Its content is a payload: Inferscope never logs, traces or tags it, and
 * {@link #toString()} does not show it.
 *
 * @param role {@code system}, {@code user}, {@code assistant} or {@code tool}
 * @param content the text
 */
public record ChatMessage(String role, String content) {
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }

  @Override
  public String toString() {
    return "ChatMessage[role=" + role + ", content=<" + content.length() + " chars>]";
  }
}
