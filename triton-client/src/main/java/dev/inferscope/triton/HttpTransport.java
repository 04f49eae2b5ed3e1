package dev.inferscope.triton;

import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.Phase;
import dev.inferscope.core.internal.Json;
import dev.inferscope.core.internal.SseReader;
import dev.inferscope.core.internal.http.HttpErrors;
import dev.inferscope.core.internal.http.HttpLayer;
import dev.inferscope.triton.protocol.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;
import org.jspecify.annotations.Nullable;

/**
 * KServe v2 over HTTP/REST on Inferscope's one HTTP layer ({@link HttpLayer}: one deadline, one size
 * cap, one status table on every path), with the bytes made and read by {@link KserveHttpCodec}.
 */
final class HttpTransport implements Transport {
  /**
   * Triton's own meanings of 503 (its HTTP frontend maps TRITONSERVER_ERROR_UNAVAILABLE to 503, server
   * src/http_server.cc): a full queue is the server being busy, a queue timeout is a deadline.
   */
  static final HttpErrors.Override TRITON_STATUSES = (status, message) -> {
    if (status == 503 && message != null) {
      if (message.contains("Exceeds maximum queue size")) {
        return ErrorType.RESOURCE_EXHAUSTED;
      }
      if (message.contains("Request timeout expired")) {
        return ErrorType.DEADLINE_EXCEEDED;
      }
    }
    return null;
  };

  private final HttpLayer http;
  private final boolean binary;
  private final boolean timeoutParameter;
  private final boolean gzip;

  HttpTransport(URI base, @Nullable HttpClient client, Map<String, String> headers, long maxResponseBytes,
      boolean binary, boolean timeoutParameter, boolean gzip) {
    this.http = HttpLayer.builder(base, "Triton")
        .httpClient(client)
        .headers(headers)
        .maxResponseBytes(maxResponseBytes)
        .statusOverride(TRITON_STATUSES)
        .threadName("inferscope-triton-http-timer")
        .build();
    this.binary = binary;
    this.timeoutParameter = timeoutParameter;
    this.gzip = gzip;
  }

  @Override
  public String kind() {
    return "http";
  }

  @Override
  public String host() {
    URI base = http.base();
    return base.getHost() == null ? "localhost" : base.getHost();
  }

  @Override
  public int port() {
    URI base = http.base();
    return base.getPort() > 0 ? base.getPort() : ("https".equals(base.getScheme()) ? 443 : 80);
  }

  @Override
  public void describe(dev.inferscope.core.CallDescriptor.Builder d, String rpcMethod, String httpMethod,
      java.util.function.Supplier<String> path) {
    d.http(httpMethod, http.base() + path.get());
  }

  static String modelPath(String model, @Nullable String version) {
    String m = "/v2/models/" + java.net.URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
    return version == null || version.isEmpty() ? m
        : m + "/versions/" + java.net.URLEncoder.encode(version, StandardCharsets.UTF_8);
  }

  private static String repositoryPath(String model, String action) {
    return "/v2/repository/models/" + java.net.URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20")
        + "/" + action;
  }

  private HttpLayer.Response get(Call call, String path, @Nullable Deadline deadline) {
    return http.send(http.request(path, call, deadline).GET().build(), deadline);
  }

  /** A health endpoint: 200 is true, 400 and 503 (not live, not ready) false, anything else an error. */
  private boolean health(Call call, String path, @Nullable Deadline deadline) {
    HttpLayer.Response r = get(call, path, deadline);
    call.httpStatusCode(r.status());
    if (r.status() == 200) {
      return true;
    }
    if (r.status() == 400 || r.status() == 503) {
      return false;
    }
    throw http.error(r);
  }

  @Override
  public boolean serverLive(Call call, @Nullable Deadline deadline) {
    return health(call, "/v2/health/live", deadline);
  }

  @Override
  public boolean serverReady(Call call, @Nullable Deadline deadline) {
    return health(call, "/v2/health/ready", deadline);
  }

  @Override
  public boolean modelReady(Call call, String model, @Nullable String version, @Nullable Deadline deadline) {
    return health(call, modelPath(model, version) + "/ready", deadline);
  }

  @Override
  public ServerMetadata serverMetadata(Call call, @Nullable Deadline deadline) {
    return KserveHttpCodec.serverMetadata(http.ok(call, get(call, "/v2", deadline)).body());
  }

  @Override
  public ModelMetadata modelMetadata(Call call, String model, @Nullable String version, @Nullable Deadline deadline) {
    return KserveHttpCodec.modelMetadata(http.ok(call, get(call, modelPath(model, version), deadline)).body());
  }

  @Override
  public List<ModelStats> statistics(Call call, String model, @Nullable Deadline deadline) {
    return KserveHttpCodec.statistics(http.ok(call, get(call, modelPath(model, null) + "/stats", deadline)).body());
  }

  private KserveHttpCodec.Encoded encode(Call call, InferRequest request, @Nullable Deadline deadline) {
    long t0 = call.clock().nanoTime();
    KserveHttpCodec.Encoded e = KserveHttpCodec.encodeInfer(request, call.descriptor().requestId(), binary,
        timeoutParameter && deadline != null ? deadline.toMicros() : -1);
    call.recordPhase(Phase.SERIALIZE, call.clock().nanoTime() - t0);
    call.requestBytes(e.total());
    return e;
  }

  private HttpRequest inferRequest(Call call, InferRequest request, @Nullable Deadline deadline,
      KserveHttpCodec.Encoded e) {
    List<ByteBuffer> parts = new ArrayList<>();
    parts.add(ByteBuffer.wrap(e.json()));
    parts.addAll(e.binary());
    HttpRequest.Builder b = http.request(modelPath(request.model(), request.version()) + "/infer", call, deadline)
        .header("Content-Type", binary ? "application/octet-stream" : "application/json");
    if (gzip) {
      // Optional compression both ways: the request body is gzipped (a copy), the answer may be.
      ByteArrayOutputStream z = new ByteArrayOutputStream((int) Math.min(e.total() / 2 + 64, 1 << 26));
      try (GZIPOutputStream out = new GZIPOutputStream(z)) {
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
      b.POST(HttpRequest.BodyPublishers.fromPublisher(new KserveHttpCodec.BufferListPublisher(parts), e.total()));
    }
    if (binary) {
      b.header("Inference-Header-Content-Length", Integer.toString(e.json().length));
    }
    return b.build();
  }

  private InferResult decode(Call call, HttpLayer.Response r) {
    byte[] body = http.ok(call, r).body();
    long t0 = call.clock().nanoTime();
    InferResult result = KserveHttpCodec.decodeInfer(body, r.header("Inference-Header-Content-Length"));
    call.recordPhase(Phase.DESERIALIZE, call.clock().nanoTime() - t0);
    call.modelVersion(result.version());
    return result;
  }

  @Override
  public InferResult infer(Call call, InferRequest request, @Nullable Deadline deadline) {
    KserveHttpCodec.Encoded e = encode(call, request, deadline);
    return decode(call, http.send(inferRequest(call, request, deadline, e), deadline));
  }

  @Override
  public CompletableFuture<InferResult> inferAsync(Call call, InferRequest request, @Nullable Deadline deadline) {
    KserveHttpCodec.Encoded e = encode(call, request, deadline);
    return http.sendAsync(inferRequest(call, request, deadline, e), deadline, r -> decode(call, r));
  }

  /** POSTs a JSON body (or GETs when {@code body} is null); the parsed answer, or null for an empty body. */
  private @Nullable Object exchange(Call call, String path, @Nullable Object body, @Nullable Deadline deadline) {
    HttpRequest.Builder b = http.request(path, call, deadline);
    if (body == null) {
      b.GET();
    } else {
      byte[] json = Json.write(body).getBytes(StandardCharsets.UTF_8);
      call.requestBytes(json.length);
      b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(json));
    }
    HttpLayer.Response r = http.ok(call, http.send(b.build(), deadline));
    return r.body().length == 0 ? null : Json.parse(r.body(), "response");
  }

  @Override
  public ModelConfig modelConfig(Call call, String model, @Nullable Deadline deadline) {
    Object json = exchange(call, modelPath(model, null) + "/config", null, deadline);
    ModelConfig.Builder b = ModelConfig.newBuilder();
    try {
      // Triton's JSON is the protobuf ModelConfig's JSON mapping (server src/http_server.cc)
      com.google.protobuf.util.JsonFormat.parser().ignoringUnknownFields()
          .merge(Json.write(Json.asObject(json, "model config")), b);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw InferenceException.of(ErrorType.PROTOCOL, "model config JSON does not match the protocol");
    }
    return b.build();
  }

  @Override
  public List<RepositoryModel> repositoryIndex(Call call, @Nullable Deadline deadline) {
    HttpRequest rq = http.request("/v2/repository/index", call, deadline).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"ready\":false}")).build();
    return KserveHttpCodec.repositoryIndex(http.ok(call, http.send(rq, deadline)).body());
  }

  @Override
  public void loadModel(Call call, String model, @Nullable Deadline deadline) {
    exchange(call, repositoryPath(model, "load"), Map.of(), deadline);
  }

  @Override
  public void unloadModel(Call call, String model, @Nullable Deadline deadline) {
    exchange(call, repositoryPath(model, "unload"), Map.of(), deadline);
  }

  @Override
  public Map<String, List<String>> traceSettings(Call call, @Nullable String model, Map<String, List<String>> update,
      @Nullable Deadline deadline) {
    String path = model == null ? "/v2/trace/setting" : modelPath(model, null) + "/trace/setting";
    Map<String, Object> m = Json.asObject(exchange(call, path, update.isEmpty() ? null : new LinkedHashMap<>(update),
        deadline), "trace settings");
    Map<String, List<String>> out = new LinkedHashMap<>();
    m.forEach((k, v) -> {
      List<String> values = new ArrayList<>();
      if (v instanceof List<?> l) {
        l.forEach(x -> values.add(String.valueOf(x)));
      } else {
        values.add(String.valueOf(v));
      }
      out.put(k, values);
    });
    return out;
  }

  @Override
  public Map<String, Object> logSettings(Call call, Map<String, Object> update, @Nullable Deadline deadline) {
    return Json.asObject(exchange(call, "/v2/logging", update.isEmpty() ? null : update, deadline), "log settings");
  }

  @Override
  public <T> T rpc(Call call, @Nullable Deadline deadline,
      Function<dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub, T> rpc) {
    throw new UnsupportedOperationException("raw gRPC calls need the gRPC transport");
  }

  /**
   * Opens {@code generate} or {@code generate_stream} (extension_generate.md) within {@code deadline}; the
   * responses are then read on the caller's thread as it asks for them, within the same deadline.
   */
  @Override
  public GenerateStream.Source generate(Call call, GenerateRequest request, @Nullable Deadline deadline) {
    long t0 = call.clock().nanoTime();
    byte[] json = KserveHttpCodec.generateRequest(request);
    call.recordPhase(Phase.SERIALIZE, call.clock().nanoTime() - t0);
    call.requestBytes(json.length);
    String path = modelPath(request.model(), null) + (request.stream() ? "/generate_stream" : "/generate");
    HttpRequest rq = http.request(path, call, deadline).header("Content-Type", "application/json")
        .header("Accept", request.stream() ? "text/event-stream" : "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
    if (!request.stream()) {
      // one JSON body: the layer's whole-body path (deadline, cap) and one final response
      GenerateChunk only = KserveHttpCodec.generateChunk(http.ok(call, http.send(rq, deadline)).body(), true);
      return new GenerateStream.Source() {
        private boolean given;

        @Override
        public @Nullable GenerateChunk next() {
          if (given) {
            return null;
          }
          given = true;
          return only;
        }

        @Override
        public void cancel(String why) {}
      };
    }
    return new HttpGenerateSource(http.openStream(rq, deadline, call, true));
  }

  /** Reads generate_stream events from the body as the stream asks; the deadline closes the body. */
  private final class HttpGenerateSource implements GenerateStream.Source {
    private final HttpLayer.Stream stream;
    private final SseReader reader;
    private volatile boolean cancelled;

    /** {@code stream} was opened with its body within the deadline: the deadline closes it. */
    HttpGenerateSource(HttpLayer.Stream stream) {
      this.stream = stream;
      this.reader = new SseReader(stream.body(), (int) Math.min(http.maxResponseBytes(), Integer.MAX_VALUE - 8L));
    }

    @Override
    public @Nullable GenerateChunk next() {
      try {
        SseReader.Event e = reader.next();
        checkInterrupted();
        if (e == null) {
          finished();
          return null;
        }
        return KserveHttpCodec.generateChunk(e.data().getBytes(StandardCharsets.UTF_8), false);
      } catch (SseReader.EventTooLargeException tooLarge) {
        throw InferenceException.builder(ErrorType.PROTOCOL, "stream event larger than " + http.maxResponseBytes()
            + " bytes").retryable(false).build();
      } catch (IOException io) {
        checkInterrupted();
        throw InferenceException.builder(ErrorType.UNAVAILABLE, "connection lost while streaming").cause(io)
            .retryable(false).build();
      }
    }

    @Override
    public long arrivalNanos() {
      return stream.arrivalNanos();
    }

    private void checkInterrupted() {
      if (cancelled) {
        throw InferenceException.of(ErrorType.CANCELLED, "stream cancelled");
      }
      if (stream.expired()) {
        throw InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "deadline expired while streaming");
      }
    }

    @Override
    public void cancel(String why) {
      cancelled = true;
      finished();
    }

    @Override
    public void finished() {
      stream.close(); // also cancels the deadline timer
    }
  }

  @Override
  public void close() {
    http.close(); // closes the HTTP client only if the layer built it; never a caller's
  }
}
