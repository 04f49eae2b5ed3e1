/**
 * GPU state for Inferscope's spans and meters: from NVML through a JNI shim (when the client runs beside
 * the GPU), or from dcgm-exporter's or Triton's {@code /metrics} (when it does not).
 */
@NullMarked
package dev.inferscope.gpu;

import org.jspecify.annotations.NullMarked;
