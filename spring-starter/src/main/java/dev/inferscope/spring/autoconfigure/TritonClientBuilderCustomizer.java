package dev.inferscope.spring.autoconfigure;

import dev.inferscope.triton.TritonClient;

/**
 * Customises the builder of each Triton client the starter creates, after the properties were applied
 * (extra metadata headers, message size limits, ...). Beans of this type are applied in order.
 */
@FunctionalInterface
public interface TritonClientBuilderCustomizer {
  /**
   * Customises a client of endpoint {@code endpoint}.
   *
   * @param endpoint the endpoint name
   * @param transport {@code grpc} or {@code http}
   * @param builder its builder
   */
  void customize(String endpoint, String transport, TritonClient.Builder builder);
}
