package dev.inferscope.triton;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;

/**
 * KServe v2 over HTTP/REST as bytes in and values out, with Triton's extensions: the binary tensor data
 * extension both ways, model statistics, repository index, generate / generate_stream. No call, no
 * telemetry, no I/O: {@link HttpTransport} times it and sends it. Every inconsistency in what a server
 * sent is PROTOCOL; sizes and shapes are checked before anything is allocated for them.
 *
 * <p>Wire shapes: kserve/open-inference-protocol and Triton server's
 * {@code docs/protocol/extension_binary_data.md}, {@code extension_statistics.md},
 * {@code extension_model_repository.md}, {@code extension_generate.md}.
 */
final class KserveHttpCodec {
  /** The most dimensions accepted in a tensor shape from a server (Triton allows 16 by default). */
  static final int MAX_DIMENSIONS = 64;

  private KserveHttpCodec() {}

  /** The encoded request: JSON header plus binary tensor data. */
  record Encoded(byte[] json, List<ByteBuffer> binary, long total) {}

  /**
   * An infer request body: the JSON header ({@code id}, {@code parameters} with
   * {@code binary_data_output} and the {@code timeout} in microseconds when {@code timeoutMicros >= 0},
   * {@code inputs}, {@code outputs}) and, with the binary tensor data extension, the tensors' bytes
   * after it, uncopied (server docs/protocol/extension_binary_data.md).
   */
  static Encoded encodeInfer(InferRequest request, @Nullable String id, boolean binary, long timeoutMicros) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    List<ByteBuffer> binaryParts = new ArrayList<>();
    try (JsonGenerator g = Json.factory().createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      if (id != null) {
        g.writeStringProperty("id", id);
      }
      Map<String, Object> params = new LinkedHashMap<>(request.parameters());
      if (binary) {
        params.put("binary_data_output", true);
      }
      if (timeoutMicros >= 0) {
        params.put("timeout", Math.max(1, timeoutMicros));
      }
      if (!params.isEmpty()) {
        g.writeName("parameters");
        Json.write(g, params);
      }
      g.writeName("inputs");
      g.writeStartArray();
      for (Tensor t : request.inputs()) {
        g.writeStartObject();
        g.writeStringProperty("name", t.name());
        g.writeStringProperty("datatype", t.datatype().name());
        g.writeName("shape");
        Json.write(g, t.shapeList());
        if (binary) {
          g.writeName("parameters");
          g.writeStartObject();
          g.writeNumberProperty("binary_data_size", t.byteSize());
          g.writeEndObject();
          binaryParts.add(t.data());
        } else {
          g.writeName("data");
          writeJsonData(g, t);
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      if (!request.outputs().isEmpty()) {
        g.writeName("outputs");
        g.writeStartArray();
        for (String o : request.outputs()) {
          g.writeStartObject();
          g.writeStringProperty("name", o);
          if (binary) {
            g.writeName("parameters");
            g.writeStartObject();
            g.writeBooleanProperty("binary_data", true);
            g.writeEndObject();
          }
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    }
    byte[] json = out.toByteArray();
    long total = json.length;
    for (ByteBuffer b : binaryParts) {
      total += b.remaining();
    }
    return new Encoded(json, binaryParts, total);
  }

  private static void writeJsonData(JsonGenerator g, Tensor t) {
    ByteBuffer b = t.data();
    g.writeStartArray();
    switch (t.datatype()) {
      case FP32 -> {
        while (b.hasRemaining()) {
          g.writeNumber(b.getFloat());
        }
      }
      case FP64 -> {
        while (b.hasRemaining()) {
          g.writeNumber(b.getDouble());
        }
      }
      case INT32, UINT32 -> {
        while (b.hasRemaining()) {
          g.writeNumber(b.getInt());
        }
      }
      case INT64, UINT64 -> {
        while (b.hasRemaining()) {
          g.writeNumber(b.getLong());
        }
      }
      case INT16, UINT16 -> {
        while (b.hasRemaining()) {
          g.writeNumber(b.getShort());
        }
      }
      case INT8, UINT8 -> {
        while (b.hasRemaining()) {
          g.writeNumber(b.get());
        }
      }
      case BOOL -> {
        while (b.hasRemaining()) {
          g.writeBoolean(b.get() != 0);
        }
      }
      case BYTES -> {
        for (String s : t.asStrings()) {
          g.writeString(s);
        }
      }
      default -> throw InferenceException.of(ErrorType.INVALID_ARGUMENT,
          t.datatype() + " tensors need the binary tensor extension over HTTP");
    }
    g.writeEndArray();
  }

  /** Decodes an infer response, JSON or binary; every inconsistency is a PROTOCOL error. */
  static InferResult decodeInfer(byte[] body, @Nullable String headerLength) {
    int jsonLength = body.length;
    if (headerLength != null) {
      try {
        jsonLength = Integer.parseInt(headerLength.trim());
      } catch (NumberFormatException nfe) {
        throw InferenceException.of(ErrorType.PROTOCOL, "Inference-Header-Content-Length is not a number");
      }
      if (jsonLength < 0 || jsonLength > body.length) {
        throw InferenceException.of(ErrorType.PROTOCOL, "Inference-Header-Content-Length " + jsonLength
            + " is larger than the body (" + body.length + " bytes)");
      }
    }
    Map<String, Object> m = Json.parseObject(java.util.Arrays.copyOf(body, jsonLength), "infer response");
    int offset = jsonLength;
    List<Tensor> outputs = new ArrayList<>();
    for (Object o : Json.array(m, "outputs")) {
      Map<String, Object> t = Json.asObject(o, "output");
      String name = Json.string(t, "name");
      String dt = Json.string(t, "datatype");
      if (name == null || dt == null) {
        throw InferenceException.of(ErrorType.PROTOCOL, "output without name or datatype");
      }
      Datatype datatype = Datatype.of(dt);
      List<Object> shapeList = Json.array(t, "shape");
      if (shapeList.size() > MAX_DIMENSIONS) {
        throw InferenceException.of(ErrorType.PROTOCOL, "output " + shapeList.size() + " dimensions, more than "
            + MAX_DIMENSIONS);
      }
      long[] shape = new long[shapeList.size()];
      for (int i = 0; i < shape.length; i++) {
        if (!(shapeList.get(i) instanceof Number n)) {
          throw InferenceException.of(ErrorType.PROTOCOL, "shape element is not a number");
        }
        shape[i] = n.longValue();
        if (shape[i] < 0) {
          throw InferenceException.of(ErrorType.PROTOCOL, "negative dimension in an output shape");
        }
      }
      Map<String, Object> params = Json.object(t, "parameters");
      if (params != null && params.get("binary_data_size") instanceof Number n) {
        long size = n.longValue();
        if (size < 0 || size > body.length - offset) { // not offset + size: that can overflow
          throw InferenceException.of(ErrorType.PROTOCOL, "binary data of output " + name + " is truncated");
        }
        outputs.add(Tensor.received(name, datatype, shape, ByteBuffer.wrap(body, offset, (int) size)));
        offset += (int) size;
      } else {
        outputs.add(Tensor.received(name, datatype, shape, fromJson(datatype, Json.array(t, "data"))));
      }
    }
    if (offset != body.length) {
      throw InferenceException.of(ErrorType.PROTOCOL, "response has " + (body.length - offset) + " unclaimed bytes");
    }
    String version = Json.string(m, "model_version");
    Map<String, Object> params = Json.object(m, "parameters");
    Map<String, Object> nonNull = new LinkedHashMap<>();
    if (params != null) {
      params.forEach((k, v) -> {
        if (v != null) { // a JSON null parameter is an absent one (InferResult's map holds no nulls)
          nonNull.put(k, v);
        }
      });
    }
    return new InferResult(String.valueOf(m.get("model_name")), version == null ? "" : version, Json.string(m, "id"),
        outputs, nonNull);
  }

  private static ByteBuffer fromJson(Datatype dt, List<Object> data) {
    List<Object> flat = new ArrayList<>();
    flatten(data, flat, 0);
    if (dt == Datatype.BYTES) {
      List<byte[]> parts = new ArrayList<>();
      int total = 0;
      for (Object o : flat) {
        byte[] v = String.valueOf(o).getBytes(StandardCharsets.UTF_8);
        parts.add(v);
        total += 4 + v.length;
      }
      ByteBuffer b = ByteBuffer.allocate(total).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (byte[] v : parts) {
        b.putInt(v.length).put(v);
      }
      return b.flip();
    }
    if (dt.size() < 0 || dt == Datatype.FP16 || dt == Datatype.BF16) {
      throw InferenceException.of(ErrorType.PROTOCOL, dt + " output in JSON form");
    }
    ByteBuffer b = ByteBuffer.allocate(flat.size() * dt.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (Object o : flat) {
      if (dt == Datatype.BOOL) {
        if (!(o instanceof Boolean bool)) {
          throw InferenceException.of(ErrorType.PROTOCOL, "BOOL output holds a non-boolean");
        }
        b.put((byte) (bool ? 1 : 0));
        continue;
      }
      if (!(o instanceof Number n)) {
        throw InferenceException.of(ErrorType.PROTOCOL, dt + " output holds a non-number");
      }
      switch (dt) {
        case FP32 -> b.putFloat(n.floatValue());
        case FP64 -> b.putDouble(n.doubleValue());
        case INT8, UINT8 -> b.put(n.byteValue());
        case INT16, UINT16 -> b.putShort(n.shortValue());
        case INT32, UINT32 -> b.putInt(n.intValue());
        default -> b.putLong(n.longValue());
      }
    }
    return b.flip();
  }

  private static void flatten(List<Object> in, List<Object> out, int depth) {
    if (depth > 32) {
      throw InferenceException.of(ErrorType.PROTOCOL, "tensor data nested too deep");
    }
    for (Object o : in) {
      if (o instanceof List<?> l) {
        @SuppressWarnings("unchecked")
        List<Object> ll = (List<Object>) l;
        flatten(ll, out, depth + 1);
      } else {
        out.add(o);
      }
    }
  }

  static ServerMetadata serverMetadata(byte[] body) {
    Map<String, Object> m = Json.parseObject(body, "server metadata");
    List<String> ext = new ArrayList<>();
    for (Object o : Json.array(m, "extensions")) {
      ext.add(String.valueOf(o));
    }
    return new ServerMetadata(String.valueOf(m.get("name")), String.valueOf(m.get("version")), ext);
  }

  static ModelMetadata modelMetadata(byte[] body) {
    Map<String, Object> m = Json.parseObject(body, "model metadata");
    List<String> versions = new ArrayList<>();
    for (Object o : Json.array(m, "versions")) {
      versions.add(String.valueOf(o));
    }
    return new ModelMetadata(String.valueOf(m.get("name")), versions, String.valueOf(m.getOrDefault("platform", "")),
        specs(Json.array(m, "inputs")), specs(Json.array(m, "outputs")));
  }

  private static List<ModelMetadata.TensorSpec> specs(List<Object> in) {
    List<ModelMetadata.TensorSpec> out = new ArrayList<>();
    for (Object o : in) {
      Map<String, Object> t = Json.asObject(o, "tensor metadata");
      List<Long> shape = new ArrayList<>();
      for (Object d : Json.array(t, "shape")) {
        if (!(d instanceof Number n)) {
          throw InferenceException.of(ErrorType.PROTOCOL, "shape element is not a number");
        }
        shape.add(n.longValue());
      }
      out.add(new ModelMetadata.TensorSpec(String.valueOf(t.get("name")), String.valueOf(t.get("datatype")), shape));
    }
    return out;
  }

  /** {@code GET v2/models/<m>/stats} (extension_statistics.md). */
  static List<ModelStats> statistics(byte[] body) {
    Map<String, Object> m = Json.parseObject(body, "model statistics");
    List<ModelStats> out = new ArrayList<>();
    for (Object o : Json.array(m, "model_stats")) {
      Map<String, Object> s = Json.asObject(o, "model_stats");
      Map<String, Object> is = Json.object(s, "inference_stats");
      if (is == null) {
        is = Map.of();
      }
      out.add(new ModelStats(String.valueOf(s.get("name")), String.valueOf(s.getOrDefault("version", "")),
          Json.longValue(s, "inference_count", 0), Json.longValue(s, "execution_count", 0),
          count(is, "success"), ns(is, "success"), count(is, "queue"), ns(is, "queue"), ns(is, "compute_input"),
          ns(is, "compute_infer"), ns(is, "compute_output"), count(is, "compute_infer")));
    }
    return out;
  }

  private static long count(Map<String, Object> is, String key) {
    Map<String, Object> d = Json.object(is, key);
    return d == null ? 0 : Json.longValue(d, "count", 0);
  }

  private static long ns(Map<String, Object> is, String key) {
    Map<String, Object> d = Json.object(is, key);
    return d == null ? 0 : Json.longValue(d, "ns", 0);
  }

  /** {@code POST v2/repository/index} (extension_model_repository.md). */
  static List<RepositoryModel> repositoryIndex(byte[] body) {
    if (!(Json.parse(body, "repository index") instanceof List<?> list)) {
      throw InferenceException.of(ErrorType.PROTOCOL, "repository index is not an array");
    }
    List<RepositoryModel> out = new ArrayList<>();
    for (Object e : list) {
      Map<String, Object> m = Json.asObject(e, "repository entry");
      String name = Json.string(m, "name");
      if (name == null) {
        throw InferenceException.of(ErrorType.PROTOCOL, "repository entry without name");
      }
      out.add(new RepositoryModel(name, Json.string(m, "version"), Json.string(m, "state"), Json.string(m, "reason")));
    }
    return out;
  }

  /**
   * A generate / generate_stream request (extension_generate.md): {@code text_input} and the
   * parameters, asking the vLLM backend for its optional outputs (triton-inference-server/vllm_backend
   * src/model.py: {@code return_finish_reason}, {@code return_num_input_tokens},
   * {@code return_num_output_tokens}).
   */
  static byte[] generateRequest(GenerateRequest request) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("text_input", request.prompt());
    Map<String, Object> params = new LinkedHashMap<>(request.sampling());
    params.put("stream", request.stream());
    params.put("exclude_input_in_output", request.excludeInput());
    params.put("return_finish_reason", true);
    params.put("return_num_input_tokens", true);
    params.put("return_num_output_tokens", true);
    body.put("parameters", params);
    return Json.write(body).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * One generate response (the body of {@code generate}, or one event of {@code generate_stream}): the
   * output tensors by name as JSON values ({@code text_output}; {@code finish_reason}, a string or a
   * one-element array; {@code num_input_tokens}, {@code num_output_tokens}); an {@code error} member is
   * the model's error.
   */
  static GenerateChunk generateChunk(byte[] json, boolean last) {
    Map<String, Object> m = Json.parseObject(json, "generate response");
    Object err = m.get("error");
    if (err != null) {
      throw GenerateStream.modelError(String.valueOf(err));
    }
    Object text = m.get("text_output");
    Object f = m.get("finish_reason");
    String finish = f instanceof List<?> l ? (l.isEmpty() || l.get(0) == null ? null : String.valueOf(l.get(0)))
        : f == null ? null : String.valueOf(f);
    return new GenerateChunk(text == null ? "" : String.valueOf(text), finish, last,
        Json.longValue(m, "num_input_tokens", -1), Json.longValue(m, "num_output_tokens", -1));
  }

  /** Publishes a list of buffers without copying them into one array. */
  static final class BufferListPublisher implements java.util.concurrent.Flow.Publisher<ByteBuffer> {
    private final List<ByteBuffer> parts;

    BufferListPublisher(List<ByteBuffer> parts) {
      this.parts = parts;
    }

    @Override
    public void subscribe(java.util.concurrent.Flow.Subscriber<? super ByteBuffer> s) {
      s.onSubscribe(new java.util.concurrent.Flow.Subscription() {
        private int next;
        private boolean done;

        @Override
        public synchronized void request(long n) {
          while (n-- > 0 && !done) {
            if (next < parts.size()) {
              s.onNext(parts.get(next++).duplicate());
            } else {
              done = true;
              s.onComplete();
            }
          }
        }

        @Override
        public synchronized void cancel() {
          done = true;
        }
      });
    }
  }
}
