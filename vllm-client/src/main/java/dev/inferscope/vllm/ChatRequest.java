package dev.inferscope.vllm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A chat completion request. Immutable; messages are payload and never recorded. */
public final class ChatRequest {
  private final String model;
  private final List<ChatMessage> messages;
  private final SamplingParams sampling;

  private ChatRequest(Builder b) {
    this.model = b.model;
    this.messages = List.copyOf(b.messages);
    this.sampling = b.sampling;
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("a chat request needs at least one message");
    }
  }

  public static Builder builder(String model) {
    return new Builder(model);
  }

  public String model() {
    return model;
  }

  public List<ChatMessage> messages() {
    return messages;
  }

  public SamplingParams sampling() {
    return sampling;
  }

  @Override
  public String toString() {
    return "ChatRequest[model=" + model + ", messages=<" + messages.size() + ">, " + sampling + "]";
  }

  /** Builds a {@link ChatRequest}. */
  public static final class Builder {
    private final String model;
    private final List<ChatMessage> messages = new ArrayList<>();
    private SamplingParams sampling = SamplingParams.defaults();

    private Builder(String model) {
      this.model = Objects.requireNonNull(model, "model");
    }

    public Builder message(ChatMessage message) {
      messages.add(Objects.requireNonNull(message, "message"));
      return this;
    }

    public Builder system(String content) {
      return message(ChatMessage.system(content));
    }

    public Builder user(String content) {
      return message(ChatMessage.user(content));
    }

    public Builder assistant(String content) {
      return message(ChatMessage.assistant(content));
    }

    public Builder sampling(SamplingParams sampling) {
      this.sampling = Objects.requireNonNull(sampling, "sampling");
      return this;
    }

    public ChatRequest build() {
      return new ChatRequest(this);
    }
  }
}
