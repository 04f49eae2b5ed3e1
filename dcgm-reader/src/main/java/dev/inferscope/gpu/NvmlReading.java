package dev.inferscope.gpu;

/**
 * One NVML reading: the call's status and, when it succeeded, the value.
 *
 * @param status what NVML returned
 * @param value the value (meaningful only when {@link #ok()})
 */
public record NvmlReading(NvmlStatus status, long value) {
  /** Whether NVML answered. */
  public boolean ok() {
    return status == NvmlStatus.SUCCESS;
  }

  static NvmlReading of(long code, long value) {
    return new NvmlReading(NvmlStatus.of(code), value);
  }
}
