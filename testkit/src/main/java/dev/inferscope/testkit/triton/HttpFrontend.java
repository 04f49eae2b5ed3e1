package dev.inferscope.testkit.triton;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import dev.inferscope.core.internal.Json;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.http.LeanHttpServer;
import dev.inferscope.triton.protocol.ModelInferRequest;
import dev.inferscope.triton.protocol.ModelInferResponse;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The HTTP frontend: the KServe v2 REST endpoints the client uses, Triton's generate extension and
 * {@code /metrics}, on the same small HTTP server as the vLLM simulator ({@link LeanHttpServer}: the
 * thread that reads a request runs it, so the simulator adds no hand-off to the time it reports), over
 * the shared {@link Scheduler}. Request headers are recorded. Sources of each shape are cited below.
 */
final class HttpFrontend implements AutoCloseable {
  private final Scheduler scheduler;
  private final ServerState state;
  private final FaultPlan faults;
  private final LeanHttpServer server;

  HttpFrontend(Scheduler scheduler, ServerState state, FaultPlan faults) throws IOException {
    this.scheduler = scheduler;
    this.state = state;
    this.faults = faults;
    this.server = new LeanHttpServer(null, 128, "triton-simulator-http-", this::handle);
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.port());
  }

  @Override
  public void close() {
    server.close();
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      Map<String, String> h = new LinkedHashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> h.put(k.toLowerCase(java.util.Locale.ROOT), v.isEmpty() ? "" : v.get(0)));
      String path = ex.getRequestURI().getPath();
      if (!path.equals("/metrics")) {
        state.remember(h);
      }
      String[] parts = path.split("/");
      if (path.equals("/metrics")) {
        send(ex, 200, "text/plain; version=0.0.4",
            MetricsPage.render(scheduler.models(), state.gpuUtilization).getBytes(StandardCharsets.UTF_8), -1);
      // Paths and JSON shapes below: triton-inference-server/server docs/protocol/README.md @c203d37 (the KServe
      // v2 REST API: health as a bare status, server and model metadata, errors as {"error": msg}),
      // extension_model_repository.md @332bef3 (index: name, version, state, reason), extension_trace.md,
      // extension_logging.md (settings maps), extension_statistics.md @c203d37 (model_stats with
      // inference_stats {success, queue, compute_infer: {count, ns}}), extension_model_configuration.md
      // (the ModelConfig message as JSON with proto field names).
      } else if (path.equals("/v2/health/live") || path.equals("/v2/health/ready")) {
        send(ex, 200, "application/json", new byte[0], -1);
      } else if (path.equals("/v2/repository/index")) {
        List<Object> index = new ArrayList<>();
        for (ModelState ms : scheduler.models()) {
          index.add(Map.of("name", ms.model.name(), "version", ms.model.version(),
              "state", ms.loaded ? "READY" : "UNAVAILABLE", "reason", ""));
        }
        sendJson(ex, 200, index);
      } else if (path.startsWith("/v2/repository/models/") && (path.endsWith("/load") || path.endsWith("/unload"))) {
        String name = path.substring("/v2/repository/models/".length(), path.lastIndexOf('/'));
        scheduler.model(name, true).loaded = path.endsWith("/load");
        ex.getRequestBody().readAllBytes();
        send(ex, 200, "application/json", new byte[0], -1);
      } else if (path.equals("/v2/trace/setting") || (path.startsWith("/v2/models/") && path.endsWith("/trace/setting"))) {
        byte[] body = ex.getRequestBody().readAllBytes();
        if (body.length > 0) {
          Json.parseObject(body, "trace settings").forEach((k, v) -> state.traceSettings.put(k,
              v instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of(String.valueOf(v))));
        }
        sendJson(ex, 200, new LinkedHashMap<>(state.traceSettings));
      } else if (path.equals("/v2/logging")) {
        byte[] body = ex.getRequestBody().readAllBytes();
        if (body.length > 0) {
          Json.parseObject(body, "log settings").forEach((k, v) -> state.logSettings.put(k, v instanceof Long l ? l.intValue() : v));
        }
        sendJson(ex, 200, new LinkedHashMap<>(state.logSettings));
      } else if (path.equals("/v2")) {
        sendJson(ex, 200, Map.of("name", "triton", "version", "2.60.0-sim",
            "extensions", List.of("classification", "model_repository", "statistics", "binary_tensor_data")));
      } else if (parts.length >= 4 && parts[1].equals("v2") && parts[2].equals("models")) {
        String model = parts[3];
        String action = parts.length > 4 && parts[4].equals("versions") ? (parts.length > 6 ? parts[6] : "")
            : (parts.length > 4 ? parts[4] : "");
        switch (action) {
          case "" -> sendJson(ex, 200, metadataJson(scheduler.model(model)));
          case "ready" -> send(ex, scheduler.find(model) != null && scheduler.find(model).loaded ? 200 : 400,
              "application/json", new byte[0], -1);
          case "config" -> {
            String json = com.google.protobuf.util.JsonFormat.printer().preservingProtoFieldNames()
                .print(KserveMessages.config(scheduler.model(model)));
            send(ex, 200, "application/json", json.getBytes(StandardCharsets.UTF_8), -1);
          }
          case "generate", "generate_stream" -> httpGenerate(ex, scheduler.model(model), action.equals("generate_stream"));
          case "stats" -> {
            ModelState s = scheduler.model(model);
            sendJson(ex, 200, Map.of("model_stats", List.of(Map.of("name", model, "version", s.model.version(),
                "inference_count", s.inferences.get(), "execution_count", s.executions.get(),
                "inference_stats", Map.of(
                    "success", Map.of("count", s.served.get(), "ns", s.successNanos.get()),
                    "queue", Map.of("count", s.served.get(), "ns", s.queueNanos.get()),
                    "compute_infer", Map.of("count", s.served.get(), "ns", s.computeNanos.get()))))));
          }
          case "infer" -> httpInfer(ex, model);
          default -> sendJson(ex, 404, Map.of("error", "unknown endpoint"));
        }
      } else {
        sendJson(ex, 404, Map.of("error", "unknown endpoint"));
      }
    } catch (SimError e) {
      if (e.http < 0) {
        LeanHttpServer.abort(ex); // drop: close the connection without an answer
        return;
      }
      sendJson(ex, e.http, Map.of("error", e.getMessage()));
    } catch (RuntimeException e) {
      sendJson(ex, 500, Map.of("error", "simulator failure"));
    } finally {
      ex.close();
    }
  }

  /**
   * Triton's HTTP generate extension: one JSON answer, or server-sent events for generate_stream. Shapes:
   * triton-inference-server/server {@code docs/protocol/extension_generate.md} @0bd93bc (model_name,
   * model_version, text_output; errors as {"error": msg}); the optional outputs finish_reason,
   * num_input_tokens, num_output_tokens only when the request asks for them with return_finish_reason /
   * return_num_input_tokens / return_num_output_tokens, as triton-inference-server/vllm_backend
   * {@code src/model.py} does ("additional outputs"). The request's other properties may be top-level or in
   * "parameters" (extension_generate.md: "passed either as parameters or tensors").
   */
  private void httpGenerate(HttpExchange ex, ModelState s, boolean sse) throws IOException {
    Map<String, Object> req = Json.parseObject(ex.getRequestBody().readAllBytes(), "generate request");
    Map<String, Object> params = Json.object(req, "parameters");
    if (params == null) {
      params = Map.of();
    }
    boolean wantFinish = asked(req, params, "return_finish_reason");
    boolean wantInput = asked(req, params, "return_num_input_tokens");
    boolean wantOutput = asked(req, params, "return_num_output_tokens");
    String text = Objects.toString(req.get("text_input"), "");
    int maxTokens = (int) Math.min(s.model.tokens(), Json.longValue(params, "max_tokens", s.model.tokens()));
    int promptTokens = text.isBlank() ? 0 : text.trim().split("\\s+").length;
    if (!sse) {
      StringBuilder all = new StringBuilder();
      scheduler.tokens(s, maxTokens, (t, piece) -> all.append(piece));
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("model_name", s.model.name());
      body.put("model_version", s.model.version());
      body.put("text_output", all.toString());
      additionalOutputs(body, wantFinish, wantInput, wantOutput, promptTokens, maxTokens);
      sendJson(ex, 200, body);
      return;
    }
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.sendResponseHeaders(200, 0);
    try (OutputStream out = ex.getResponseBody()) {
      int n = maxTokens;
      scheduler.tokens(s, n, (t, piece) -> {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("model_name", s.model.name());
        e.put("text_output", piece);
        if (t == n - 1) {
          additionalOutputs(e, wantFinish, wantInput, wantOutput, promptTokens, n);
        }
        out.write(("data: " + Json.write(e) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      });
    }
  }

  private static boolean asked(Map<String, Object> req, Map<String, Object> params, String name) {
    return Boolean.TRUE.equals(req.get(name)) || Boolean.TRUE.equals(params.get(name));
  }

  private static void additionalOutputs(Map<String, Object> into, boolean finish, boolean input, boolean output,
      int promptTokens, int outputTokens) {
    if (finish) {
      into.put("finish_reason", "length");
    }
    if (input) {
      into.put("num_input_tokens", promptTokens);
    }
    if (output) {
      into.put("num_output_tokens", outputTokens);
    }
  }

  /**
   * The model metadata JSON: triton-inference-server/server {@code docs/protocol/README.md} points to the
   * KServe v2 "Model Metadata Response JSON Object" (name, versions, platform, inputs, outputs with name,
   * datatype, shape).
   */
  private static Map<String, Object> metadataJson(ModelState s) {
    List<Object> inputs = new ArrayList<>();
    List<Object> outputs = new ArrayList<>();
    for (int i = 0; i < s.model.inputs().size(); i++) {
      SimulatedModel.Tensor t = s.model.inputs().get(i);
      inputs.add(Map.of("name", t.name(), "datatype", t.datatype(), "shape", t.shape()));
      outputs.add(Map.of("name", "OUTPUT" + i, "datatype", t.datatype(), "shape", t.shape()));
    }
    return Map.of("name", s.model.name(), "versions", List.of(s.model.version()), "platform", "simulated",
        "inputs", inputs, "outputs", outputs);
  }

  /** The v2 infer endpoint: JSON and the binary tensor data extension both ways. */
  @SuppressWarnings("unchecked")
  private void httpInfer(HttpExchange ex, String model) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
      try (java.io.InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
        body = in.readAllBytes();
      } catch (IOException e) {
        throw new SimError(Status.INVALID_ARGUMENT, 400, "request body is not valid gzip");
      }
    }
    String acceptEncoding = ex.getRequestHeaders().getFirst("Accept-Encoding");
    boolean gzipAnswer = acceptEncoding != null && acceptEncoding.contains("gzip");
    String hl = ex.getRequestHeaders().getFirst("Inference-Header-Content-Length");
    int jsonLen = hl == null ? body.length : Integer.parseInt(hl.trim());
    if (jsonLen < 0 || jsonLen > body.length) {
      throw new SimError(Status.INVALID_ARGUMENT, 400, "Inference-Header-Content-Length larger than the body");
    }
    Map<String, Object> req;
    try {
      req = Json.parseObject(java.util.Arrays.copyOf(body, jsonLen), "infer request");
    } catch (RuntimeException e) {
      throw new SimError(Status.INVALID_ARGUMENT, 400, "malformed JSON in infer request");
    }
    ModelInferRequest.Builder grpc = ModelInferRequest.newBuilder().setModelName(model);
    if (req.get("id") instanceof String id) {
      grpc.setId(id);
    }
    int offset = jsonLen;
    List<Object> inputs = Json.array(req, "inputs");
    List<Boolean> binaryOut = new ArrayList<>();
    for (Object o : inputs) {
      Map<String, Object> in = (Map<String, Object>) o;
      String dt = Json.string(in, "datatype");
      List<Long> shape = new ArrayList<>();
      for (Object d : Json.array(in, "shape")) {
        shape.add(((Number) d).longValue());
      }
      grpc.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(Json.string(in, "name")).setDatatype(dt)
          .addAllShape(shape));
      Map<String, Object> params = Json.object(in, "parameters");
      if (params != null && params.get("binary_data_size") instanceof Number n) {
        int size = n.intValue();
        if (offset + size > body.length) {
          throw new SimError(Status.INVALID_ARGUMENT, 400, "binary data shorter than binary_data_size");
        }
        grpc.addRawInputContents(ByteString.copyFrom(body, offset, size));
        offset += size;
      } else {
        grpc.addRawInputContents(jsonToRaw(dt, Json.array(in, "data")));
      }
    }
    boolean binaryDefault = false;
    Map<String, Object> params = Json.object(req, "parameters");
    if (params != null && Boolean.TRUE.equals(params.get("binary_data_output"))) {
      binaryDefault = true;
    }
    ModelInferRequest r = grpc.build();
    long deadline = Long.MAX_VALUE;
    if (params != null && params.get("timeout") instanceof Number t) {
      deadline = scheduler.deadlineAfterMicros(t.longValue());
    }
    ModelInferResponse resp = scheduler.infer(r, deadline, () -> { });
    List<Object> outs = new ArrayList<>();
    ByteArrayOutputStream bin = new ByteArrayOutputStream();
    for (int i = 0; i < resp.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor t = resp.getOutputs(i);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("name", t.getName());
      o.put("datatype", t.getDatatype());
      o.put("shape", t.getShapeList());
      ByteString raw = resp.getRawOutputContents(i);
      if (binaryDefault) {
        o.put("parameters", Map.of("binary_data_size", raw.size()));
        raw.writeTo(bin);
      } else {
        o.put("data", rawToJson(t.getDatatype(), raw));
      }
      outs.add(o);
    }
    byte[] json = Json.write(Map.of("model_name", model, "model_version", resp.getModelVersion(), "id", resp.getId(),
        "outputs", outs)).getBytes(StandardCharsets.UTF_8);
    json = faults.inferJson(json);
    byte[] binary = bin.toByteArray();
    if (gzipAnswer) {
      byte[] all = new byte[json.length + binary.length];
      System.arraycopy(json, 0, all, 0, json.length);
      System.arraycopy(binary, 0, all, json.length, binary.length);
      java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
      try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(z)) {
        out.write(all);
      }
      ex.getResponseHeaders().set("Content-Encoding", "gzip");
      send(ex, 200, binary.length == 0 ? "application/json" : "application/octet-stream", z.toByteArray(),
          binary.length == 0 ? -1 : json.length);
      return;
    }
    if (binary.length == 0 && !faults.frameWithoutBinary()) {
      send(ex, 200, "application/json", json, -1);
      return;
    }
    byte[] all = new byte[json.length + binary.length];
    System.arraycopy(json, 0, all, 0, json.length);
    System.arraycopy(binary, 0, all, json.length, binary.length);
    int headerLength = faults.headerLength(json.length, all.length);
    send(ex, 200, "application/octet-stream", faults.inferBody(all, binary.length), headerLength);
  }

  private static ByteString jsonToRaw(String dt, List<Object> data) {
    List<Object> flat = new ArrayList<>();
    flatten(data, flat);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (Object v : flat) {
      bb.clear();
      switch (dt) {
        case "FP32" -> bb.putFloat(((Number) v).floatValue());
        case "FP64" -> bb.putDouble(((Number) v).doubleValue());
        case "INT32", "UINT32" -> bb.putInt(((Number) v).intValue());
        case "INT64", "UINT64" -> bb.putLong(((Number) v).longValue());
        case "INT16", "UINT16" -> bb.putShort(((Number) v).shortValue());
        case "INT8", "UINT8" -> bb.put(((Number) v).byteValue());
        case "BOOL" -> bb.put((byte) (Boolean.TRUE.equals(v) ? 1 : 0));
        case "BYTES" -> {
          byte[] s = String.valueOf(v).getBytes(StandardCharsets.UTF_8);
          ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(s.length);
          out.writeBytes(len.array());
          out.writeBytes(s);
          continue;
        }
        default -> throw new SimError(Status.INVALID_ARGUMENT, 400, "unsupported datatype in JSON: " + dt);
      }
      out.write(bb.array(), 0, bb.position());
    }
    return ByteString.copyFrom(out.toByteArray());
  }

  private static void flatten(List<Object> in, List<Object> out) {
    for (Object o : in) {
      if (o instanceof List<?> l) {
        @SuppressWarnings("unchecked")
        List<Object> ll = (List<Object>) l;
        flatten(ll, out);
      } else {
        out.add(o);
      }
    }
  }

  private static List<Object> rawToJson(String dt, ByteString raw) {
    ByteBuffer bb = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    List<Object> out = new ArrayList<>();
    while (bb.hasRemaining()) {
      switch (dt) {
        case "FP32" -> out.add((double) bb.getFloat());
        case "FP64" -> out.add(bb.getDouble());
        case "INT32", "UINT32" -> out.add((long) bb.getInt());
        case "INT64", "UINT64" -> out.add(bb.getLong());
        case "INT16", "UINT16" -> out.add((long) bb.getShort());
        case "INT8", "UINT8" -> out.add((long) bb.get());
        case "BOOL" -> out.add(bb.get() != 0);
        case "BYTES" -> {
          int len = bb.getInt();
          byte[] s = new byte[Math.min(len, bb.remaining())];
          bb.get(s);
          out.add(new String(s, StandardCharsets.UTF_8));
        }
        default -> {
          return out;
        }
      }
    }
    return out;
  }

  private static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    send(ex, status, "application/json", Json.write(body).getBytes(StandardCharsets.UTF_8), -1);
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body, int headerLength) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    if (headerLength >= 0) {
      ex.getResponseHeaders().set("Inference-Header-Content-Length", Integer.toString(headerLength));
    }
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
