package dev.inferscope.examples.quickstart;

import dev.inferscope.triton.Datatype;
import dev.inferscope.triton.InferRequest;
import dev.inferscope.triton.ModelMetadata;
import dev.inferscope.triton.Tensor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random inputs that match a model's signature (variable dimensions become 1). */
final class Inputs {
  private static final int MAX_ELEMENTS = 16 << 20;

  private Inputs() {}

  static InferRequest randomRequest(ModelMetadata meta) {
    Random random = new Random(42);
    InferRequest.Builder b = InferRequest.builder(meta.name());
    for (ModelMetadata.TensorSpec spec : meta.inputs()) {
      long[] shape = new long[spec.shape().size()];
      long elements = 1;
      for (int i = 0; i < shape.length; i++) {
        long d = spec.shape().get(i);
        shape[i] = d < 0 ? 1 : d;
        elements *= shape[i];
      }
      if (elements > MAX_ELEMENTS) {
        throw new IllegalArgumentException("input " + spec.name() + " of " + meta.name() + " is too large for the demo");
      }
      Datatype type = Datatype.of(spec.datatype());
      if (type == Datatype.BYTES) {
        String[] values = new String[(int) elements];
        java.util.Arrays.fill(values, "inferscope");
        b.input(Tensor.strings(spec.name(), shape, values));
      } else {
        byte[] data = new byte[(int) elements * type.size()];
        if (type == Datatype.BOOL) {
          for (int i = 0; i < data.length; i++) {
            data[i] = (byte) random.nextInt(2);
          }
        } else if (type == Datatype.FP32) {
          ByteBuffer bb = ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
          for (int i = 0; i < elements; i++) {
            bb.putFloat(random.nextFloat());
          }
        } else {
          // small integers / bit patterns; good enough to exercise the server
          for (int i = 0; i < data.length; i += type.size()) {
            data[i] = (byte) random.nextInt(8);
          }
        }
        b.input(Tensor.of(spec.name(), type, shape, ByteBuffer.wrap(data)));
      }
    }
    return b.build();
  }

  static List<String> names(ModelMetadata meta) {
    List<String> out = new ArrayList<>();
    meta.inputs().forEach(s -> out.add(s.name()));
    return out;
  }
}
