package dev.inferscope.vllm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Joins a stream's chunks into one {@link Completion}: per choice the text, the reasoning, the log
 * probabilities and the finish reason, and the tool-call fragments assembled into complete
 * {@link ToolCall}s (by choice index and tool-call index: the fragment that carries an id and name opens a
 * call, later fragments append to its arguments). {@link CompletionStream#collect()} uses one; a
 * {@link java.util.concurrent.Flow.Subscriber} of {@link VllmClient#chatPublisher} feeds its own from
 * {@code onNext} and reads {@link #completion()} in {@code onComplete}. Not thread-safe.
 */
public final class StreamAccumulator {
  private final boolean chat;
  private final Map<Integer, ChoiceState> choices = new TreeMap<>();
  private @Nullable String id;
  private @Nullable String model;
  private Usage usage = Usage.UNKNOWN;

  /** An accumulator for a chat stream. */
  public StreamAccumulator() {
    this(true);
  }

  /** An accumulator for a chat ({@code true}) or text completion stream. */
  public StreamAccumulator(boolean chat) {
    this.chat = chat;
  }

  private static final class ChoiceState {
    final StringBuilder text = new StringBuilder();
    final StringBuilder reasoning = new StringBuilder();
    final Map<Integer, ToolState> tools = new TreeMap<>();
    final List<TokenLogprob> logprobs = new ArrayList<>();
    @Nullable String finishReason;
  }

  private static final class ToolState {
    @Nullable String id;
    @Nullable String name;
    final StringBuilder arguments = new StringBuilder();
  }

  /** Adds one chunk. */
  public void accept(StreamChunk chunk) {
    if (chunk.id() != null) {
      id = chunk.id();
    }
    if (chunk.model() != null) {
      model = chunk.model();
    }
    if (chunk.usage() != null) {
      usage = chunk.usage();
    }
    for (Choice c : chunk.choices()) {
      ChoiceState s = choices.computeIfAbsent(c.index(), k -> new ChoiceState());
      s.text.append(c.text());
      s.reasoning.append(c.reasoning());
      s.logprobs.addAll(c.logprobs());
      for (ToolCallDelta d : c.toolCallDeltas()) {
        ToolState t = s.tools.computeIfAbsent(d.index(), k -> new ToolState());
        if (d.id() != null && t.id == null) {
          t.id = d.id();
        }
        if (d.name() != null && t.name == null) {
          t.name = d.name();
        }
        t.arguments.append(d.arguments());
      }
      for (ToolCall call : c.toolCalls()) { // a server that sends a whole call in one chunk
        ToolState t = s.tools.computeIfAbsent(call.index(), k -> new ToolState());
        t.id = call.id();
        t.name = call.name();
        t.arguments.setLength(0);
        t.arguments.append(call.arguments());
      }
      if (c.finishReason() != null) {
        s.finishReason = c.finishReason();
      }
    }
  }

  /** Whether any choice has said why it finished. */
  public boolean anyFinished() {
    for (ChoiceState s : choices.values()) {
      if (s.finishReason != null) {
        return true;
      }
    }
    return false;
  }

  /** The finish reasons so far, in choice order. */
  public List<String> finishReasons() {
    List<String> out = new ArrayList<>();
    for (ChoiceState s : choices.values()) {
      if (s.finishReason != null) {
        out.add(s.finishReason);
      }
    }
    return out;
  }

  /** The response id, when a chunk carried one. */
  public @Nullable String id() {
    return id;
  }

  /** The model, when a chunk carried one. */
  public @Nullable String model() {
    return model;
  }

  /** The usage, when a chunk carried it. */
  public Usage usage() {
    return usage;
  }

  /** The number of tool calls begun so far, over all choices. */
  public int toolCallCount() {
    int n = 0;
    for (ChoiceState s : choices.values()) {
      n += s.tools.size();
    }
    return n;
  }

  /** The number of choices seen. */
  public int choiceCount() {
    return choices.size();
  }

  /** Everything so far as one completion; tool calls without an id or name get empty ones. */
  public Completion completion() {
    List<Choice> out = new ArrayList<>(choices.size());
    for (Map.Entry<Integer, ChoiceState> e : choices.entrySet()) {
      ChoiceState s = e.getValue();
      List<ToolCall> calls = new ArrayList<>(s.tools.size());
      int position = 0;
      for (ToolState t : s.tools.values()) {
        calls.add(new ToolCall(position++, t.id == null ? "" : t.id, t.name == null ? "" : t.name,
            t.arguments.toString()));
      }
      out.add(new Choice(e.getKey(), s.text.toString(), chat ? "assistant" : null, s.finishReason,
          s.reasoning.toString(), calls, List.of(), s.logprobs));
    }
    return new Completion(id, model, out, usage);
  }

  @Override
  public String toString() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("choices", choices.size());
    m.put("toolCalls", toolCallCount());
    return "StreamAccumulator" + m;
  }
}
