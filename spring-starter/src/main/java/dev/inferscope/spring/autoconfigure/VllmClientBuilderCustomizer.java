package dev.inferscope.spring.autoconfigure;

import dev.inferscope.vllm.VllmClient;

/**
 * Customises the builder of each vLLM client the starter creates, after the properties were applied
 * (extra headers, an own {@code HttpClient}, ...). Beans of this type are applied in order.
 */
@FunctionalInterface
public interface VllmClientBuilderCustomizer {
  /**
   * Customises the client of endpoint {@code endpoint}.
   *
   * @param endpoint the endpoint name
   * @param builder its builder
   */
  void customize(String endpoint, VllmClient.Builder builder);
}
