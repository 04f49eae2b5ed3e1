package dev.inferscope.triton;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The result of an inference: outputs by position and name, model and version that served it.
 *
 * @param model the model that answered
 * @param version its version
 * @param id the request id echoed by the server, if any
 * @param outputs the output tensors
 * @param parameters response parameters
 */
public record InferResult(String model, String version, @Nullable String id, List<Tensor> outputs,
    Map<String, Object> parameters) {
  public InferResult {
    outputs = List.copyOf(outputs);
    parameters = Map.copyOf(parameters);
  }

  /** The output with this name, or {@code null}. */
  public @Nullable Tensor output(String name) {
    for (Tensor t : outputs) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }
}
