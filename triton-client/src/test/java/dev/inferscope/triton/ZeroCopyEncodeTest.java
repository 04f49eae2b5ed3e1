package dev.inferscope.triton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.triton.protocol.ModelInferRequest;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gRPC request references a caller's heap buffer instead of copying it. */
class ZeroCopyEncodeTest {

  @Test
  void aHeapBufferIsReferencedNotCopiedAndOthersAreCopiedOnce() {
    io.grpc.ManagedChannel channel = InProcessChannelBuilder.forName("unused").build();
    GrpcTransport transport = new GrpcTransport(channel, channel, Map.of(), "unused", -1, false);
    try {
      byte[] caller = new byte[16];
      InferRequest request = InferRequest.builder("m")
          .input(Tensor.of("INPUT0", Datatype.FP32, new long[] {1, 4}, ByteBuffer.wrap(caller))).build();
      ModelInferRequest wire = transport.encode(call(), request, null);
      caller[0] = 42; // a change after encoding shows through: the message holds the caller's array
      assertThat(wire.getRawInputContents(0).byteAt(0)).isEqualTo((byte) 42);

      ByteBuffer direct = ByteBuffer.allocateDirect(16);
      InferRequest fromDirect = InferRequest.builder("m")
          .input(Tensor.of("INPUT0", Datatype.FP32, new long[] {1, 4}, direct)).build();
      ModelInferRequest copied = transport.encode(call(), fromDirect, null);
      direct.put(0, (byte) 7);
      assertThat(copied.getRawInputContents(0).byteAt(0)).isZero(); // protobuf copied it once
    } finally {
      transport.close();
    }
  }

  private static dev.inferscope.core.Call call() {
    return InferenceTelemetry.noop().start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").build());
  }
}
