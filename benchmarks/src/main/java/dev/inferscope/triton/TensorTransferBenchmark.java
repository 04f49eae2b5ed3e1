package dev.inferscope.triton;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.triton.protocol.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Group 2: a 64 MiB FP32 tensor through each encode/decode path, against a plain copy of the same bytes
 * (allocating, like a decode must). In this package to reach the transports' codecs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TensorTransferBenchmark {
  static final int BYTES = 64 << 20;
  /** The JSON form writes ~9 characters per float: it runs on 4 MiB and is reported per byte. */
  static final int JSON_BYTES = 4 << 20;

  private byte[] payload;
  private final WireBuffer wire = new WireBuffer(BYTES + 4096);
  private byte[] grpcWire;
  private byte[] httpBinaryBody;
  private String httpBinaryHeaderLength;
  private byte[] httpJsonBody;

  @Setup
  public void setup() {
    payload = new byte[BYTES];
    ByteBuffer f = ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < BYTES / 4; i++) {
      f.putFloat(i * 0.5f);
    }
    grpcWire = response(ByteString.copyFrom(payload)).toByteArray();
    String header = "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":[{\"name\":\"OUTPUT0\",\"datatype\":\"FP32\","
        + "\"shape\":[1," + (BYTES / 4) + "],\"parameters\":{\"binary_data_size\":" + BYTES + "}}]}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    httpBinaryBody = new byte[h.length + BYTES];
    System.arraycopy(h, 0, httpBinaryBody, 0, h.length);
    System.arraycopy(payload, 0, httpBinaryBody, h.length, BYTES);
    httpBinaryHeaderLength = Integer.toString(h.length);
    StringBuilder sb = new StringBuilder(JSON_BYTES * 3);
    sb.append("{\"model_name\":\"m\",\"outputs\":[{\"name\":\"OUTPUT0\",\"datatype\":\"FP32\",\"shape\":[1,")
        .append(JSON_BYTES / 4).append("],\"data\":[");
    for (int i = 0; i < JSON_BYTES / 4; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(i * 0.5f);
    }
    sb.append("]}]}");
    httpJsonBody = sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static ModelInferResponse response(ByteString raw) {
    return ModelInferResponse.newBuilder().setModelName("m").setModelVersion("1")
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("OUTPUT0").setDatatype("FP32")
            .addShape(1).addShape(BYTES / 4))
        .addRawOutputContents(raw).build();
  }

  private static Call call() {
    return InferenceTelemetry.noop().start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m").build());
  }

  @Benchmark
  public byte[] baselineCopy() {
    byte[] out = new byte[BYTES];
    System.arraycopy(payload, 0, out, 0, BYTES);
    return out;
  }

  /**
   * Client side of the gRPC raw path as the transport runs it: wrap the caller's buffer (no copy), then
   * let gRPC's marshaller drain the message into the transport's write buffer (here a reused buffer of
   * the wire size, as Netty's pooled buffers are). The only copy is the one onto the wire.
   */
  @Benchmark
  public long grpcEncode() throws java.io.IOException {
    Tensor t = Tensor.of("INPUT0", Datatype.FP32, new long[] {1, BYTES / 4}, ByteBuffer.wrap(payload));
    dev.inferscope.triton.protocol.ModelInferRequest request = dev.inferscope.triton.protocol.ModelInferRequest
        .newBuilder().setModelName("m")
        .addInputs(dev.inferscope.triton.protocol.ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0")
            .setDatatype("FP32").addShape(1).addShape(BYTES / 4))
        .addRawInputContents(UnsafeByteOperations.unsafeWrap(t.wireData())).build();
    java.io.InputStream stream = dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc.getModelInferMethod()
        .streamRequest(request);
    wire.reset();
    return ((io.grpc.Drainable) stream).drainTo(wire);
  }

  /** The same message serialized into a fresh array (what a naive marshaller would do), for reference. */
  @Benchmark
  public byte[] grpcEncodeToFreshArray() {
    Tensor t = Tensor.of("INPUT0", Datatype.FP32, new long[] {1, BYTES / 4}, ByteBuffer.wrap(payload));
    return dev.inferscope.triton.protocol.ModelInferRequest.newBuilder().setModelName("m")
        .addInputs(dev.inferscope.triton.protocol.ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0")
            .setDatatype("FP32").addShape(1).addShape(BYTES / 4))
        .addRawInputContents(UnsafeByteOperations.unsafeWrap(t.wireData())).build().toByteArray();
  }

  /** A write buffer reused across operations, like a transport's pooled buffers. */
  static final class WireBuffer extends java.io.OutputStream {
    private final byte[] buf;
    private int pos;

    WireBuffer(int capacity) {
      buf = new byte[capacity];
    }

    void reset() {
      pos = 0;
    }

    @Override
    public void write(int b) {
      buf[pos++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, buf, pos, len);
      pos += len;
    }
  }

  /** Client side of the gRPC raw path: parse the wire and decode the output tensor. */
  @Benchmark
  public InferResult grpcDecode() throws Exception {
    return GrpcTransport.decode(call(), ModelInferResponse.parseFrom(grpcWire));
  }

  /** HTTP binary extension: decoding wraps the body, no copy of the tensor. */
  @Benchmark
  public InferResult httpBinaryDecode() {
    return KserveHttpCodec.decodeInfer(httpBinaryBody, httpBinaryHeaderLength);
  }

  /** HTTP JSON form on 4 MiB of FP32 (scale by 16 to compare with the 64 MiB paths). */
  @Benchmark
  public InferResult httpJsonDecode4MiB() {
    return KserveHttpCodec.decodeInfer(httpJsonBody, null);
  }
}
