package dev.inferscope.triton;

/**
 * A model's cumulative statistics as Triton reports them (counts, and nanoseconds spent).
 *
 * @param model the model
 * @param version the version
 * @param inferenceCount inferences (each batch element counts)
 * @param executionCount model executions
 * @param successCount successful requests
 * @param successNanos their total time
 * @param queueCount requests that waited in the queue
 * @param queueNanos total queue time
 * @param computeInputNanos total input preparation time
 * @param computeInferNanos total execution time
 * @param computeOutputNanos total output extraction time
 * @param computeCount requests computed
 */
public record ModelStats(String model, String version, long inferenceCount, long executionCount, long successCount,
    long successNanos, long queueCount, long queueNanos, long computeInputNanos, long computeInferNanos,
    long computeOutputNanos, long computeCount) {

  /** All compute nanoseconds (input, infer and output). */
  public long computeNanos() {
    return computeInputNanos + computeInferNanos + computeOutputNanos;
  }
}
