package dev.inferscope.triton;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;

/** KServe v2 tensor data types, with their element sizes in bytes (BYTES is variable: -1). */
public enum Datatype {
  BOOL(1), UINT8(1), UINT16(2), UINT32(4), UINT64(8), INT8(1), INT16(2), INT32(4), INT64(8),
  FP16(2), BF16(2), FP32(4), FP64(8), BYTES(-1);

  private final int size;

  Datatype(int size) {
    this.size = size;
  }

  /** Bytes per element, or -1 for BYTES. */
  public int size() {
    return size;
  }

  /** The datatype of a protocol name; PROTOCOL error for an unknown one. */
  public static Datatype of(String name) {
    try {
      return valueOf(name);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw InferenceException.of(ErrorType.PROTOCOL, "unknown tensor datatype");
    }
  }
}
