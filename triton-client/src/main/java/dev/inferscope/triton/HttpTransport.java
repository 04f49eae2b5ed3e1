package dev.inferscope.triton;

import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.Phase;
import dev.inferscope.core.internal.Json;
import dev.inferscope.core.internal.WindowedBodySubscriber;
import dev.inferscope.triton.internal.TritonErrors;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;

/** KServe v2 over HTTP/REST, with the binary tensor data extension in both directions. */
final class HttpTransport implements Transport {
  private final URI base;
  private final HttpClient http;
  private final Map<String, String> headers;
  private final long maxResponseBytes;
  private final boolean binary;
  private final boolean timeoutParameter;
  private final boolean gzip;

  HttpTransport(URI base, HttpClient http, Map<String, String> headers, long maxResponseBytes, boolean binary,
      boolean timeoutParameter, boolean gzip) {
    this.gzip = gzip;
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    this.http = http;
    this.headers = Map.copyOf(headers);
    this.maxResponseBytes = maxResponseBytes;
    this.binary = binary;
    this.timeoutParameter = timeoutParameter;
  }

  @Override
  public String kind() {
    return "http";
  }

  @Override
  public String host() {
    return base.getHost() == null ? "localhost" : base.getHost();
  }

  @Override
  public int port() {
    return base.getPort() > 0 ? base.getPort() : ("https".equals(base.getScheme()) ? 443 : 80);
  }

  String url(String path) {
    return base + path;
  }

  private HttpRequest.Builder request(Call call, String path, @Nullable Deadline deadline) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)));
    headers.forEach(b::header);
    call.inject(b, (carrier, k, v) -> {
      if (carrier != null) {
        carrier.setHeader(k, v);
      }
    });
    if (deadline != null) {
      b.timeout(deadline.toHttpTimeout());
    }
    return b;
  }

  private record Response(int status, byte[] body, @Nullable String headerLength) {}

  private Response send(Call call, HttpRequest request) {
    try {
      HttpResponse<InputStream> r = http.send(request, WindowedBodySubscriber.handler());
      call.httpStatusCode(r.statusCode());
      boolean gzipped = r.headers().firstValue("Content-Encoding").map(v -> v.equalsIgnoreCase("gzip")).orElse(false);
      try (InputStream raw = r.body(); InputStream in = gzipped ? new java.util.zip.GZIPInputStream(raw) : raw) {
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxResponseBytes + 1));
        if (body.length > maxResponseBytes) {
          throw InferenceException.of(ErrorType.PROTOCOL, "response larger than " + maxResponseBytes + " bytes");
        }
        return new Response(r.statusCode(), body, r.headers().firstValue("Inference-Header-Content-Length").orElse(null));
      }
    } catch (IOException e) {
      throw transport(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw InferenceException.of(ErrorType.CANCELLED, "interrupted", e);
    }
  }

  static InferenceException transport(Throwable t) {
    return dev.inferscope.core.internal.TransportErrors.http(t, "Triton");
  }

  private static InferenceException error(Response r) {
    String message = null;
    try {
      message = Json.string(Json.parseObject(r.body(), "error body"), "error");
    } catch (InferenceException e) {
      message = r.body().length == 0 ? null : new String(r.body(), 0, Math.min(1024, r.body().length), StandardCharsets.UTF_8);
    }
    return TritonErrors.fromHttp(r.status(), message);
  }

  private boolean ok(Call call, String path, @Nullable Deadline deadline) {
    Response r = send(call, request(call, path, deadline).GET().build());
    if (r.status() == 200) {
      return true;
    }
    if (r.status() == 400 || r.status() == 503) {
      return false;
    }
    throw error(r);
  }

  private Map<String, Object> getJson(Call call, String path, @Nullable Deadline deadline) {
    Response r = send(call, request(call, path, deadline).GET().build());
    if (r.status() != 200) {
      throw error(r);
    }
    call.responseBytes(r.body().length);
    return Json.parseObject(r.body(), "response");
  }

  @Override
  public boolean serverLive(Call call, @Nullable Deadline deadline) {
    return ok(call, "/v2/health/live", deadline);
  }

  @Override
  public boolean serverReady(Call call, @Nullable Deadline deadline) {
    return ok(call, "/v2/health/ready", deadline);
  }

  @Override
  public boolean modelReady(Call call, String model, @Nullable String version, @Nullable Deadline deadline) {
    return ok(call, modelPath(model, version) + "/ready", deadline);
  }

  static String modelPath(String model, @Nullable String version) {
    String m = "/v2/models/" + java.net.URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
    return version == null || version.isEmpty() ? m : m + "/versions/" + java.net.URLEncoder.encode(version, StandardCharsets.UTF_8);
  }

  @Override
  public ServerMetadata serverMetadata(Call call, @Nullable Deadline deadline) {
    Map<String, Object> m = getJson(call, "/v2", deadline);
    List<String> ext = new ArrayList<>();
    for (Object o : Json.array(m, "extensions")) {
      ext.add(String.valueOf(o));
    }
    return new ServerMetadata(String.valueOf(m.get("name")), String.valueOf(m.get("version")), ext);
  }

  @Override
  public ModelMetadata modelMetadata(Call call, String model, @Nullable String version, @Nullable Deadline deadline) {
    Map<String, Object> m = getJson(call, modelPath(model, version), deadline);
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

  /** The encoded request: JSON header plus binary tensor data. */
  private record Encoded(byte[] json, List<ByteBuffer> binary, long total) {}

  private Encoded encode(Call call, InferRequest request, @Nullable Deadline deadline) {
    long t0 = call.clock().nanoTime();
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    List<ByteBuffer> binaryParts = new ArrayList<>();
    try (JsonGenerator g = Json.factory().createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      if (call.descriptor().requestId() != null) {
        g.writeStringProperty("id", call.descriptor().requestId());
      }
      Map<String, Object> params = new LinkedHashMap<>(request.parameters());
      if (binary) {
        params.put("binary_data_output", true);
      }
      if (timeoutParameter && deadline != null) {
        params.put("timeout", Math.max(1, deadline.toMicros()));
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
    call.recordPhase(Phase.SERIALIZE, call.clock().nanoTime() - t0);
    call.requestBytes(total);
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

  private HttpRequest inferRequest(Call call, InferRequest request, @Nullable Deadline deadline, Encoded e) {
    List<ByteBuffer> parts = new ArrayList<>();
    parts.add(ByteBuffer.wrap(e.json()));
    parts.addAll(e.binary());
    HttpRequest.Builder b = request(call, modelPath(request.model(), request.version()) + "/infer", deadline)
        .header("Content-Type", binary ? "application/octet-stream" : "application/json");
    if (gzip) {
      // Optional compression both ways: the request body is gzipped (a copy), the answer may be.
      java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream((int) Math.min(e.total() / 2 + 64, 1 << 26));
      try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(z)) {
        for (ByteBuffer part : parts) {
          ByteBuffer p = part.duplicate();
          if (p.hasArray()) {
            out.write(p.array(), p.arrayOffset() + p.position(), p.remaining());
          } else {
            byte[] tmp = new byte[p.remaining()];
            p.get(tmp);
            out.write(tmp);
          }
        }
      } catch (IOException ex) {
        throw InferenceException.of(ErrorType.INTERNAL, "could not compress the request", ex);
      }
      b.header("Content-Encoding", "gzip").header("Accept-Encoding", "gzip")
          .POST(HttpRequest.BodyPublishers.ofByteArray(z.toByteArray()));
    } else {
      b.POST(HttpRequest.BodyPublishers.fromPublisher(new BufferListPublisher(parts), e.total()));
    }
    if (binary) {
      b.header("Inference-Header-Content-Length", Integer.toString(e.json().length));
    }
    return b.build();
  }

  @Override
  public InferResult infer(Call call, InferRequest request, @Nullable Deadline deadline) {
    Encoded e = encode(call, request, deadline);
    Response r = send(call, inferRequest(call, request, deadline, e));
    if (r.status() != 200) {
      throw error(r);
    }
    return decode(call, r.body(), r.headerLength());
  }

  @Override
  public CompletableFuture<InferResult> inferAsync(Call call, InferRequest request, @Nullable Deadline deadline) {
    Encoded e = encode(call, request, deadline);
    CompletableFuture<HttpResponse<byte[]>> f =
        http.sendAsync(inferRequest(call, request, deadline, e), HttpResponse.BodyHandlers.ofByteArray());
    CompletableFuture<InferResult> out = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        f.cancel(true); // aborts the exchange
        return super.cancel(mayInterruptIfRunning);
      }
    };
    f.whenComplete((resp, t) -> {
      try {
        if (t != null) {
          throw transport(t);
        }
        call.httpStatusCode(resp.statusCode());
        byte[] body = resp.body();
        if (resp.headers().firstValue("Content-Encoding").map(v -> v.equalsIgnoreCase("gzip")).orElse(false)) {
          try (InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxResponseBytes + 1));
          } catch (IOException ex) {
            throw InferenceException.of(ErrorType.PROTOCOL, "response is not valid gzip", ex);
          }
        }
        Response r = new Response(resp.statusCode(), body,
            resp.headers().firstValue("Inference-Header-Content-Length").orElse(null));
        if (r.status() != 200) {
          throw error(r);
        }
        out.complete(decode(call, r.body(), r.headerLength()));
      } catch (RuntimeException ex) {
        out.completeExceptionally(InferenceException.from(ex));
      }
    });
    return out;
  }

  /** Decodes an infer response, JSON or binary; every inconsistency is a PROTOCOL error. */
  static InferResult decode(Call call, byte[] body, @Nullable String headerLength) {
    long t0 = call.clock().nanoTime();
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
      long[] shape = new long[shapeList.size()];
      for (int i = 0; i < shape.length; i++) {
        if (!(shapeList.get(i) instanceof Number n)) {
          throw InferenceException.of(ErrorType.PROTOCOL, "shape element is not a number");
        }
        shape[i] = n.longValue();
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
    call.recordPhase(Phase.DESERIALIZE, call.clock().nanoTime() - t0);
    call.responseBytes(body.length);
    String version = Json.string(m, "model_version");
    call.modelVersion(version);
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

  /** POSTs a JSON body (or GETs when {@code body} is null) and returns the parsed object, or null for an empty body. */
  @Nullable Object exchange(Call call, String path, @Nullable Object body, @Nullable Deadline deadline) {
    HttpRequest.Builder b = request(call, path, deadline);
    if (body == null) {
      b.GET();
    } else {
      byte[] json = Json.write(body).getBytes(StandardCharsets.UTF_8);
      call.requestBytes(json.length);
      b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(json));
    }
    Response r = send(call, b.build());
    if (r.status() != 200) {
      throw error(r);
    }
    call.responseBytes(r.body().length);
    return r.body().length == 0 ? null : Json.parse(r.body(), "response");
  }

  Map<String, Object> configJson(Call call, String model, @Nullable Deadline deadline) {
    return Json.asObject(exchange(call, modelPath(model, null) + "/config", null, deadline), "model config");
  }

  List<RepositoryModel> repositoryIndex(Call call, @Nullable Deadline deadline) {
    Object o = exchange(call, "/v2/repository/index", Map.of("ready", false), deadline);
    if (!(o instanceof List<?> list)) {
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

  void repository(Call call, String model, String action, @Nullable Deadline deadline) {
    exchange(call, "/v2/repository/models/" + java.net.URLEncoder.encode(model, StandardCharsets.UTF_8) + "/" + action,
        Map.of(), deadline);
  }

  /** A generate call on the HTTP endpoints ({@code generate} or, when streaming, {@code generate_stream}). */
  GenerateStream generate(Call call, GenerateRequest request, @Nullable Deadline deadline) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("text_input", request.prompt());
    Map<String, Object> params = new LinkedHashMap<>(request.sampling());
    params.put("stream", request.stream());
    params.put("exclude_input_in_output", request.excludeInput());
    params.put("return_finish_reason", true);
    params.put("return_num_input_tokens", true);
    params.put("return_num_output_tokens", true);
    body.put("parameters", params);
    long t0 = call.clock().nanoTime();
    byte[] json = Json.write(body).getBytes(StandardCharsets.UTF_8);
    call.recordPhase(Phase.SERIALIZE, call.clock().nanoTime() - t0);
    call.requestBytes(json.length);
    String path = modelPath(request.model(), null) + (request.stream() ? "/generate_stream" : "/generate");
    HttpRequest.Builder b = request(call, path, null).header("Content-Type", "application/json")
        .header("Accept", request.stream() ? "text/event-stream" : "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(json));
    HttpResponse<InputStream> resp;
    try {
      resp = http.send(b.build(), WindowedBodySubscriber.handler());
    } catch (IOException e) {
      throw transport(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw InferenceException.of(ErrorType.CANCELLED, "interrupted", e);
    }
    call.httpStatusCode(resp.statusCode());
    if (resp.statusCode() != 200) {
      byte[] err;
      try (InputStream in = resp.body()) {
        err = in.readNBytes(64 * 1024);
      } catch (IOException e) {
        err = new byte[0];
      }
      throw error(new Response(resp.statusCode(), err, null));
    }
    InputStream in = resp.body();
    return new GenerateStream(call, deadline, queue -> {
      Thread reader = new Thread(() -> feed(in, request.stream(), queue), "inferscope-triton-generate");
      reader.setDaemon(true);
      reader.start();
      return new GenerateStream.Control() {
        @Override
        public void request(int n) {
          // the reader runs ahead into the queue; closing the body stops it
        }

        @Override
        public void cancel(String why) {
          try {
            in.close();
          } catch (IOException ignored) {
            // closing aborts the exchange
          }
        }
      };
    });
  }

  /** Reads generate responses (one JSON body, or server-sent events) into the stream's queue. */
  private static void feed(InputStream in, boolean sse, java.util.Queue<Object> queue) {
    try (in) {
      if (!sse) {
        byte[] body = in.readNBytes(64 << 20);
        queue.add(toResponse(Json.parseObject(body, "generate response"), true));
        return;
      }
      dev.inferscope.core.internal.SseReader reader = new dev.inferscope.core.internal.SseReader(in, 16 << 20);
      dev.inferscope.core.internal.SseReader.Event e;
      while ((e = reader.next()) != null) {
        queue.add(toResponse(Json.parseObject(e.data(), "generate_stream event"), false));
      }
      // HTTP streams mark their end by closing: an empty final response ends the call
      queue.add(toResponse(Map.of(), true));
    } catch (InferenceException e) {
      queue.add(e);
    } catch (IOException e) {
      queue.add(InferenceException.of(ErrorType.UNAVAILABLE, "connection lost while streaming", e));
    }
  }

  private static Object toResponse(Map<String, Object> m, boolean last) {
    Object err = m.get("error");
    if (err != null) {
      return dev.inferscope.triton.protocol.ModelStreamInferResponse.newBuilder()
          .setErrorMessage(String.valueOf(err)).build();
    }
    dev.inferscope.triton.protocol.ModelInferResponse.Builder b =
        dev.inferscope.triton.protocol.ModelInferResponse.newBuilder()
            .setModelName(String.valueOf(m.getOrDefault("model_name", "")))
            .putParameters("triton_final_response",
                dev.inferscope.triton.protocol.InferParameter.newBuilder().setBoolParam(last).build());
    bytesOutput(b, "text_output", m.get("text_output") == null ? "" : String.valueOf(m.get("text_output")));
    if (m.get("finish_reason") != null) {
      Object f = m.get("finish_reason");
      bytesOutput(b, "finish_reason", f instanceof List<?> l && !l.isEmpty() ? String.valueOf(l.get(0)) : String.valueOf(f));
    }
    for (String count : new String[] {"num_input_tokens", "num_output_tokens"}) {
      if (m.get(count) instanceof Number n) {
        ByteBuffer bb = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(n.longValue());
        b.addOutputs(dev.inferscope.triton.protocol.ModelInferResponse.InferOutputTensor.newBuilder().setName(count)
            .setDatatype("INT64").addShape(1));
        b.addRawOutputContents(com.google.protobuf.ByteString.copyFrom(bb.array()));
      }
    }
    return dev.inferscope.triton.protocol.ModelStreamInferResponse.newBuilder().setInferResponse(b).build();
  }

  private static void bytesOutput(dev.inferscope.triton.protocol.ModelInferResponse.Builder b, String name, String v) {
    byte[] s = v.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate(4 + s.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(s.length).put(s);
    b.addOutputs(dev.inferscope.triton.protocol.ModelInferResponse.InferOutputTensor.newBuilder().setName(name)
        .setDatatype("BYTES").addShape(1));
    b.addRawOutputContents(com.google.protobuf.ByteString.copyFrom(bb.array()));
  }

  @Override
  public List<ModelStats> statistics(Call call, String model, @Nullable Deadline deadline) {
    Map<String, Object> m = getJson(call, modelPath(model, null) + "/stats", deadline);
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

  @Override
  public void close() {
    if (http instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  /** Publishes a list of buffers without copying them into one array. */
  private static final class BufferListPublisher implements java.util.concurrent.Flow.Publisher<ByteBuffer> {
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
