package dev.inferscope.testkit.triton;

import com.google.protobuf.ByteString;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.triton.protocol.*;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The KServe v2 messages the simulator answers with, built from a model's state, for both frontends
 * (the HTTP frontend writes them as JSON): model metadata and configuration, statistics, the decoupled
 * LLM model's responses, and BYTES/element helpers. Shapes: triton-protocol's copy of
 * triton-inference-server/common {@code protobuf/grpc_service.proto} and {@code model_config.proto}; the
 * LLM tensors as triton-inference-server/vllm_backend {@code src/model.py} names them.
 */
final class KserveMessages {
  private KserveMessages() {}

  static long elementSize(String datatype) {
    return switch (datatype) {
      case "BOOL", "UINT8", "INT8" -> 1;
      case "UINT16", "INT16", "FP16", "BF16" -> 2;
      case "UINT32", "INT32", "FP32" -> 4;
      case "UINT64", "INT64", "FP64" -> 8;
      default -> -1;
    };
  }

  static long elements(List<Long> shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  static String firstString(ByteString raw, ModelInferRequest.InferInputTensor in) {
    if (raw.size() >= 4) {
      ByteBuffer bb = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      int len = bb.getInt();
      if (len < 0 || len > bb.remaining()) {
        throw new SimError(Status.INVALID_ARGUMENT, 400, "malformed BYTES tensor");
      }
      byte[] b = new byte[len];
      bb.get(b);
      return new String(b, StandardCharsets.UTF_8);
    }
    if (in.getContents().getBytesContentsCount() > 0) {
      return in.getContents().getBytesContents(0).toStringUtf8();
    }
    return "";
  }

  static ModelInferResponse llmResponse(SimulatedModel m, String id, String text, @Nullable String finish,
      boolean last, int inputTokens, int outputTokens) {
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(m.name()).setModelVersion(m.version())
        .setId(id)
        .putParameters("triton_final_response", InferParameter.newBuilder().setBoolParam(last).build());
    addBytes(b, "text_output", text);
    if (finish != null) {
      addBytes(b, "finish_reason", finish);
    }
    if (inputTokens >= 0) {
      addInt(b, "num_input_tokens", inputTokens);
    }
    if (outputTokens >= 0) {
      addInt(b, "num_output_tokens", outputTokens);
    }
    return b.build();
  }

  static void addBytes(ModelInferResponse.Builder b, String name, String value) {
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate(4 + v.length).order(ByteOrder.LITTLE_ENDIAN);
    bb.putInt(v.length).put(v).flip();
    b.addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName(name).setDatatype("BYTES").addShape(1));
    b.addRawOutputContents(ByteString.copyFrom(bb));
  }

  static void addInt(ModelInferResponse.Builder b, String name, int value) {
    ByteBuffer bb = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value);
    bb.flip();
    b.addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName(name).setDatatype("INT32").addShape(1));
    b.addRawOutputContents(ByteString.copyFrom(bb));
  }

  static ModelMetadataResponse metadata(ModelState s) {
    ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(s.model.name())
        .addVersions(s.model.version()).setPlatform(s.model.decoupledLlm() ? "vllm" : "simulated");
    for (int i = 0; i < s.model.inputs().size(); i++) {
      SimulatedModel.Tensor t = s.model.inputs().get(i);
      b.addInputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName(t.name()).setDatatype(t.datatype())
          .addAllShape(t.shape()));
      if (!s.model.decoupledLlm()) {
        b.addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("OUTPUT" + i)
            .setDatatype(t.datatype()).addAllShape(t.shape()));
      }
    }
    if (s.model.decoupledLlm()) {
      b.addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("text_output").setDatatype("BYTES").addShape(-1));
    }
    return b.build();
  }

  static ModelConfig config(ModelState s) {
    SimulatedModel m = s.model;
    ModelConfig.Builder b = ModelConfig.newBuilder().setName(m.name()).setBackend(m.decoupledLlm() ? "vllm" : "simulated")
        .setMaxBatchSize(m.maxBatchSize())
        .addInstanceGroup(ModelInstanceGroup.newBuilder().setCount(m.instances()).setKind(ModelInstanceGroup.Kind.KIND_GPU))
        .setModelTransactionPolicy(ModelTransactionPolicy.newBuilder().setDecoupled(m.decoupledLlm()));
    if (m.maxQueueSize() > 0 || !m.queueTimeout().isZero()) {
      b.setDynamicBatching(ModelDynamicBatching.newBuilder().setDefaultQueuePolicy(ModelQueuePolicy.newBuilder()
          .setMaxQueueSize(m.maxQueueSize())
          .setDefaultTimeoutMicroseconds(TimeUnit.NANOSECONDS.toMicros(m.queueTimeout().toNanos()))));
    }
    for (SimulatedModel.Tensor t : m.inputs()) {
      b.addInput(ModelInput.newBuilder().setName(t.name()).setDataType(DataType.valueOf(
          "TYPE_" + (t.datatype().equals("BYTES") ? "STRING" : t.datatype()))).addAllDims(t.shape()));
    }
    return b.build();
  }

  static StatisticDuration dur(long count, long ns) {
    return StatisticDuration.newBuilder().setCount(count).setNs(ns).build();
  }

  static ModelStatistics statistics(ModelState s) {
    long served = s.served.get();
    return ModelStatistics.newBuilder().setName(s.model.name()).setVersion(s.model.version())
        .setLastInference(s.lastInference).setInferenceCount(s.inferences.get()).setExecutionCount(s.executions.get())
        .setInferenceStats(InferStatistics.newBuilder()
            .setSuccess(dur(served, s.successNanos.get()))
            .setFail(dur(s.rejected.get() + s.timedOut.get() + s.cancelledInQueue.get(), s.failedNanos.get()))
            .setQueue(dur(served, s.queueNanos.get()))
            .setComputeInput(dur(served, 0))
            .setComputeInfer(dur(served, s.computeNanos.get()))
            .setComputeOutput(dur(served, 0)))
        .addAllBatchStats(batchStats(s))
        .build();
  }

  static List<InferBatchStatistics> batchStats(ModelState s) {
    List<InferBatchStatistics> out = new ArrayList<>();
    s.batchSizes.forEach((size, n) -> out.add(InferBatchStatistics.newBuilder().setBatchSize(size)
        .setComputeInfer(dur(n.get(), 0)).build()));
    return out;
  }
}
