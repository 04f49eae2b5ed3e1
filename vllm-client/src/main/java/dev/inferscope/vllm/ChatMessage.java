package dev.inferscope.vllm;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One chat message: text or content parts, and for the assistant the tool calls it made, for a
 * {@code tool} message the id of the call it answers. Everything in it but the role, the name and the
 * ids is payload: Inferscope never logs, traces or tags it, and {@link #toString()} does not show it.
 *
 * <p>Roles: {@code system}, {@code developer}, {@code user}, {@code assistant}, {@code tool}. Wire shape:
 * the OpenAI chat message params vLLM accepts (vllm-project/vllm {@code vllm/entrypoints/chat_utils.py},
 * {@code ChatCompletionMessageParam}): {@code role}, {@code content} (a string, an array of parts, or null
 * for an assistant message that only calls tools), {@code name}, {@code tool_calls}, {@code tool_call_id}.
 *
 * @param role the role
 * @param content the text; empty when the message has parts or only tool calls
 * @param parts content parts (text, images, audio, files); empty for a text message
 * @param name a participant name, or {@code null}
 * @param toolCalls the calls an assistant message made (history), else empty
 * @param toolCallId for a {@code tool} message, the id of the call it answers, else {@code null}
 */
public record ChatMessage(String role, String content, List<ContentPart> parts, @Nullable String name,
    List<ToolCall> toolCalls, @Nullable String toolCallId) {
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
    parts = List.copyOf(parts);
    toolCalls = List.copyOf(toolCalls);
    if (!parts.isEmpty() && !content.isEmpty()) {
      throw new IllegalArgumentException("a message has text or content parts, not both");
    }
    if (role.equals("tool") && (toolCallId == null || toolCallId.isEmpty())) {
      throw new IllegalArgumentException("a tool message needs the id of the tool call it answers");
    }
    if (!toolCalls.isEmpty() && !role.equals("assistant")) {
      throw new IllegalArgumentException("only assistant messages carry tool calls");
    }
  }

  /** A text message. */
  public ChatMessage(String role, String content) {
    this(role, content, List.of(), null, List.of(), null);
  }

  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  /** A {@code developer} message (the newer name of {@code system} for some models). */
  public static ChatMessage developer(String content) {
    return new ChatMessage("developer", content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  /** A user message of content parts (text with images, audio or files). */
  public static ChatMessage user(List<ContentPart> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("a message of parts needs at least one part");
    }
    return new ChatMessage("user", "", parts, null, List.of(), null);
  }

  /** A user message of content parts. */
  public static ChatMessage user(ContentPart... parts) {
    return user(List.of(parts));
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }

  /** An earlier assistant turn that called tools (for the history of a tool-calling conversation). */
  public static ChatMessage assistantToolCalls(List<ToolCall> toolCalls) {
    if (toolCalls.isEmpty()) {
      throw new IllegalArgumentException("an assistant tool-call message needs at least one call");
    }
    return new ChatMessage("assistant", "", List.of(), null, toolCalls, null);
  }

  /** The result of the tool call {@code toolCallId}. */
  public static ChatMessage tool(String toolCallId, String result) {
    return new ChatMessage("tool", result, List.of(), null, List.of(), toolCallId);
  }

  /** This message with a participant name. */
  public ChatMessage withName(@Nullable String name) {
    return new ChatMessage(role, content, parts, name, toolCalls, toolCallId);
  }

  @Override
  public String toString() {
    return "ChatMessage[role=" + role + ", content=<" + content.length() + " chars>"
        + (parts.isEmpty() ? "" : ", parts=<" + parts.size() + ">")
        + (toolCalls.isEmpty() ? "" : ", toolCalls=<" + toolCalls.size() + ">") + "]";
  }
}
