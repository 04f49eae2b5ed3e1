package dev.inferscope.vllm;

import java.util.Objects;

/** A text completion request. Immutable; the prompt is payload and never recorded. */
public final class CompletionRequest {
  private final String model;
  private final String prompt;
  private final SamplingParams sampling;

  private CompletionRequest(String model, String prompt, SamplingParams sampling) {
    this.model = Objects.requireNonNull(model, "model");
    this.prompt = Objects.requireNonNull(prompt, "prompt");
    this.sampling = Objects.requireNonNull(sampling, "sampling");
  }

  public static CompletionRequest of(String model, String prompt) {
    return new CompletionRequest(model, prompt, SamplingParams.defaults());
  }

  public static CompletionRequest of(String model, String prompt, SamplingParams sampling) {
    return new CompletionRequest(model, prompt, sampling);
  }

  public String model() {
    return model;
  }

  public String prompt() {
    return prompt;
  }

  public SamplingParams sampling() {
    return sampling;
  }

  @Override
  public String toString() {
    return "CompletionRequest[model=" + model + ", prompt=<" + prompt.length() + " chars>, " + sampling + "]";
  }
}
