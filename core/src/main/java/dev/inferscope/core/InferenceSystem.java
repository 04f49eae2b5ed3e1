package dev.inferscope.core;

/** The kind of inference server a call goes to; the value of {@code inference.system}. */
public enum InferenceSystem {
  /** NVIDIA Triton Inference Server (KServe v2 protocol). */
  TRITON("triton"),
  /** vLLM's OpenAI-compatible server. */
  VLLM("vllm"),
  /** OpenAI's own API: {@code gen_ai.provider.name=openai}. */
  OPENAI("openai"),
  /**
   * Any other server that speaks the OpenAI API (llama.cpp's {@code llama-server}, SGLang, a gateway): its
   * spans and meters do not claim to be OpenAI ({@code gen_ai.provider.name=openai_compatible}; the GenAI
   * conventions say the provider name identifies the telemetry flavour of that provider,
   * open-telemetry/semantic-conventions-genai {@code model/gen-ai/registry.yaml}).
   */
  OPENAI_COMPATIBLE("openai_compatible");

  private final String value;

  InferenceSystem(String value) {
    this.value = value;
  }

  /** The attribute and tag value. */
  public String value() {
    return value;
  }
}
