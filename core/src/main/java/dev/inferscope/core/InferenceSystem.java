package dev.inferscope.core;

/** The kind of inference server a call goes to; the value of {@code inference.system}. */
public enum InferenceSystem {
  /** NVIDIA Triton Inference Server (KServe v2 protocol). */
  TRITON("triton"),
  /** vLLM's OpenAI-compatible server. */
  VLLM("vllm"),
  /** Any other OpenAI-compatible server. */
  OPENAI("openai");

  private final String value;

  InferenceSystem(String value) {
    this.value = value;
  }

  /** The attribute and tag value. */
  public String value() {
    return value;
  }
}
