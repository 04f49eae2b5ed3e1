package dev.inferscope.triton;

import java.util.List;

/**
 * A model's signature.
 *
 * @param name the model
 * @param versions its versions
 * @param platform its platform or backend
 * @param inputs input tensors
 * @param outputs output tensors
 */
public record ModelMetadata(String name, List<String> versions, String platform, List<TensorSpec> inputs,
    List<TensorSpec> outputs) {

  /**
   * A tensor of the signature.
   *
   * @param name the name
   * @param datatype the datatype name
   * @param shape the shape, -1 for variable dimensions
   */
  public record TensorSpec(String name, String datatype, List<Long> shape) {}

  public ModelMetadata {
    versions = List.copyOf(versions);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }
}
