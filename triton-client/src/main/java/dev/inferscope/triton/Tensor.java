package dev.inferscope.triton;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A named tensor: datatype, shape and raw little-endian contents (BYTES elements carry a 4-byte
 * little-endian length prefix). Used for inputs and outputs. The data is a payload: never recorded, and
 * {@link #toString()} does not show it. Large buffers are wrapped, not copied.
 */
public final class Tensor {
  private final String name;
  private final Datatype datatype;
  private final long[] shape;
  private final ByteBuffer data;
  /** The caller's own view (writable if theirs was): what the gRPC transport wraps without a copy. */
  private final ByteBuffer wire;

  private Tensor(String name, Datatype datatype, long[] shape, ByteBuffer data) {
    this.name = Objects.requireNonNull(name, "name");
    this.datatype = Objects.requireNonNull(datatype, "datatype");
    this.shape = shape.clone();
    this.wire = data;
    this.data = data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * A tensor over raw little-endian bytes; the buffer is wrapped (its position to limit), not copied.
   * Do not change its bytes until the call that sends it has returned.
   *
   * <p>Zero copy on gRPC needs a writable heap buffer (e.g. {@code ByteBuffer.wrap(array)}): protobuf can
   * only reference an accessible array, so a direct or read-only buffer is copied once when the request
   * message is built.
   *
   * @throws InferenceException INVALID_ARGUMENT when the size does not match the shape
   */
  public static Tensor of(String name, Datatype datatype, long[] shape, ByteBuffer data) {
    Tensor t = new Tensor(name, datatype, shape, data.slice());
    t.validate(ErrorType.INVALID_ARGUMENT);
    return t;
  }

  /** A tensor read from a server: a size mismatch is a PROTOCOL error. */
  static Tensor received(String name, Datatype datatype, long[] shape, ByteBuffer data) {
    Tensor t = new Tensor(name, datatype, shape, data.slice());
    t.validate(ErrorType.PROTOCOL);
    return t;
  }

  public static Tensor fp32(String name, long[] shape, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return of(name, Datatype.FP32, shape, b);
  }

  public static Tensor fp64(String name, long[] shape, double... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(values);
    return of(name, Datatype.FP64, shape, b);
  }

  public static Tensor int32(String name, long[] shape, int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return of(name, Datatype.INT32, shape, b);
  }

  public static Tensor int64(String name, long[] shape, long... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return of(name, Datatype.INT64, shape, b);
  }

  public static Tensor bool(String name, long[] shape, boolean... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length);
    for (boolean v : values) {
      b.put((byte) (v ? 1 : 0));
    }
    b.flip();
    return of(name, Datatype.BOOL, shape, b);
  }

  /** A BYTES tensor of UTF-8 strings. */
  public static Tensor strings(String name, long[] shape, String... values) {
    List<byte[]> raw = new ArrayList<>(values.length);
    for (String v : values) {
      raw.add(v.getBytes(StandardCharsets.UTF_8));
    }
    return bytes(name, shape, raw);
  }

  /** A BYTES tensor. */
  public static Tensor bytes(String name, long[] shape, List<byte[]> values) {
    int total = 0;
    for (byte[] v : values) {
      total += 4 + v.length;
    }
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] v : values) {
      b.putInt(v.length).put(v);
    }
    b.flip();
    return of(name, Datatype.BYTES, shape, b);
  }

  private void validate(ErrorType onError) {
    long elements = 1;
    for (long d : shape) {
      if (d < 0) {
        throw InferenceException.of(onError, "tensor " + name + " has a negative dimension");
      }
    }
    try {
      for (long d : shape) {
        elements = Math.multiplyExact(elements, d);
      }
    } catch (ArithmeticException overflow) {
      if (Arrays.stream(shape).noneMatch(d -> d == 0)) {
        throw InferenceException.of(onError, "tensor " + name + " has a shape " + Arrays.toString(shape)
            + " of more elements than a long holds");
      }
      elements = 0;
    }
    if (datatype == Datatype.BYTES) {
      ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      long count = 0;
      while (b.remaining() >= 4) {
        int len = b.getInt();
        if (len < 0 || len > b.remaining()) {
          throw InferenceException.of(onError, "tensor " + name + " has a truncated BYTES element");
        }
        b.position(b.position() + len);
        count++;
      }
      if (b.hasRemaining() || count != elements) {
        throw InferenceException.of(onError, "tensor " + name + " holds " + count + " BYTES elements, its shape "
            + Arrays.toString(shape) + " needs " + elements);
      }
      return;
    }
    // More elements than an int array could hold never match the data, and must not wrap around to a match.
    long expected = elements > Integer.MAX_VALUE ? -1 : elements * datatype.size();
    if (data.remaining() != expected) {
      throw InferenceException.of(onError, "tensor " + name + " holds " + data.remaining() + " bytes, its shape "
          + Arrays.toString(shape) + " of " + datatype + " needs " + expected);
    }
  }

  public String name() {
    return name;
  }

  public Datatype datatype() {
    return datatype;
  }

  public long[] shape() {
    return shape.clone();
  }

  /** The shape as a list. */
  public List<Long> shapeList() {
    List<Long> l = new ArrayList<>(shape.length);
    for (long d : shape) {
      l.add(d);
    }
    return l;
  }

  /** The raw little-endian contents (a read-only view; no copy). */
  public ByteBuffer data() {
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The caller's buffer for the wire (not for callers: it may be writable). */
  ByteBuffer wireData() {
    return wire.duplicate();
  }

  /** Bytes of the contents. */
  public int byteSize() {
    return data.remaining();
  }

  public float[] asFloats() {
    require(Datatype.FP32);
    float[] out = new float[data.remaining() / 4];
    data().asFloatBuffer().get(out);
    return out;
  }

  public double[] asDoubles() {
    require(Datatype.FP64);
    double[] out = new double[data.remaining() / 8];
    data().asDoubleBuffer().get(out);
    return out;
  }

  public int[] asInts() {
    require(Datatype.INT32);
    int[] out = new int[data.remaining() / 4];
    data().asIntBuffer().get(out);
    return out;
  }

  public long[] asLongs() {
    require(Datatype.INT64);
    long[] out = new long[data.remaining() / 8];
    data().asLongBuffer().get(out);
    return out;
  }

  /** BYTES elements decoded as UTF-8. */
  public List<String> asStrings() {
    require(Datatype.BYTES);
    List<String> out = new ArrayList<>();
    ByteBuffer b = data();
    while (b.remaining() >= 4) {
      int len = b.getInt();
      byte[] v = new byte[len];
      b.get(v);
      out.add(new String(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  private void require(Datatype t) {
    if (datatype != t) {
      throw new IllegalStateException("tensor " + name + " is " + datatype + ", not " + t);
    }
  }

  @Override
  public String toString() {
    return "Tensor[" + name + " " + datatype + Arrays.toString(shape) + ", " + data.remaining() + " bytes]";
  }
}
