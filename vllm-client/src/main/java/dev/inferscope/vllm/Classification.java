package dev.inferscope.vllm;

import org.jspecify.annotations.Nullable;

/**
 * One input's class (vllm-project/vllm {@code vllm/entrypoints/pooling/classify/protocol.py},
 * {@code ClassificationData}: {@code index}, {@code label}, {@code probs}, {@code num_classes}).
 *
 * @param index the input's position in the request
 * @param label the most likely label, when the model names its labels
 * @param probabilities the probability of each class
 */
public record Classification(int index, @Nullable String label, double[] probabilities) {
  /** The highest class probability (the label's), or NaN when there is none. */
  public double confidence() {
    double max = Double.NaN;
    for (double p : probabilities) {
      if (Double.isNaN(max) || p > max) {
        max = p;
      }
    }
    return max;
  }

  @Override
  public String toString() {
    return "Classification[index=" + index + ", label=" + label + ", classes=" + probabilities.length + "]";
  }
}
