package dev.inferscope.triton;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.GpuStateSource;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.Phase;
import dev.inferscope.triton.internal.GrpcTargets;
import dev.inferscope.triton.internal.TritonErrors;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.ModelInferRequest;
import dev.inferscope.triton.protocol.ModelInferResponse;
import dev.inferscope.triton.protocol.ModelStreamInferResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Instruments a caller's own stubs of Triton's {@code inference.GRPCInferenceService} (generated from the
 * same {@code grpc_service.proto}) with the telemetry {@link TritonClient} records: one CLIENT span per
 * RPC with the same name and attributes, the same meters and log line, phases that add up.
 *
 * <pre>{@code
 * ClientInterceptor inferscope = TritonTelemetryInterceptor.builder(telemetry).endpoint("vision").build();
 * var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withInterceptors(inferscope);
 * stub.modelInfer(request);   // traced, measured, logged
 * }</pre>
 *
 * <p>What it records, per RPC: the operation (the {@code TritonClient} name: {@code infer},
 * {@code model_ready}, …; {@code ModelStreamInfer} is {@code generate} when its first request carries a
 * {@code text_input} tensor, as for the vLLM and TensorRT-LLM backends, else {@code stream_infer}); model,
 * version, request id, batch size and input bytes from the request; status, response bytes and model
 * version from the response; SERIALIZE as the time the caller's thread spends handing the request to gRPC
 * (protobuf serialization and framing happen there), DESERIALIZE as the time gRPC spends parsing each
 * response; NETWORK the rest. The trace context is injected into the request headers. Other services'
 * methods pass through untouched.
 *
 * <p>What it does not do: the stub is the caller's, so Inferscope's resilience policy (retries, breaker,
 * bulkhead) and deadlines are not applied — use gRPC's own service config and {@code withDeadline}; and
 * there is no server timing from statistics polling. Payloads are never read beyond tensor sizes and names.
 *
 * <p>The RPC's span starts when the first request message is sent (the model name is in it), so the
 * underlying call's {@code start} is held until then; a call cancelled before sending anything is not
 * recorded.
 */
public final class TritonTelemetryInterceptor implements ClientInterceptor {
  static final String SERVICE = GRPCInferenceServiceGrpc.SERVICE_NAME;

  /** Response parse time, handed from the marshaller to the listener on the same thread (see below). */
  private static final ThreadLocal<long[]> PARSE_NANOS = ThreadLocal.withInitial(() -> new long[] {-1});

  private final InferenceTelemetry telemetry;
  private final String endpoint;
  private final List<String> gpuIds;
  private final @Nullable GpuStateSource gpuSource;
  private final Map<String, MethodDescriptor<?, ?>> timed = new ConcurrentHashMap<>();

  private TritonTelemetryInterceptor(Builder b) {
    this.telemetry = b.telemetry;
    this.endpoint = b.endpoint;
    this.gpuIds = List.copyOf(b.gpuIds);
    this.gpuSource = b.gpuSource;
  }

  /** A builder over {@code telemetry}. */
  public static Builder builder(InferenceTelemetry telemetry) {
    return new Builder(telemetry);
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    if (!SERVICE.equals(method.getServiceName())) {
      return next.newCall(method, options);
    }
    return new Instrumented<>(next, timedParse(method), options, method, next.authority());
  }

  /**
   * The same method with a response marshaller that times {@code parse}. grpc-java parses a response and
   * hands it to the call's listener on the same thread, one message after the other, so a thread-local
   * carries the time from one to the other without a lookup.
   */
  @SuppressWarnings("unchecked")
  private <Q, R> MethodDescriptor<Q, R> timedParse(MethodDescriptor<Q, R> method) {
    return (MethodDescriptor<Q, R>) timed.computeIfAbsent(method.getFullMethodName(), k -> {
      MethodDescriptor.Marshaller<R> inner = method.getResponseMarshaller();
      MethodDescriptor.Marshaller<R> timing = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(R value) {
          return inner.stream(value);
        }

        @Override
        public R parse(InputStream stream) {
          long t0 = System.nanoTime();
          R r = inner.parse(stream);
          PARSE_NANOS.get()[0] = System.nanoTime() - t0;
          return r;
        }
      };
      return method.toBuilder(method.getRequestMarshaller(), timing).build();
    });
  }

  /** {@code ModelReady} → {@code model_ready}; the two inference RPCs keep {@link TritonClient}'s names. */
  static String operation(String method) {
    if (method.equals("ModelInfer")) {
      return "infer";
    }
    StringBuilder sb = new StringBuilder(method.length() + 8);
    for (int i = 0; i < method.length(); i++) {
      char c = method.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        sb.append('_');
      }
      sb.append(Character.toLowerCase(c));
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }

  private CallDescriptor describe(String rpcMethod, Object request, @Nullable String authority) {
    GrpcTargets.Endpoint server = GrpcTargets.ofAuthority(authority);
    String operation = operation(rpcMethod);
    String model = "";
    CallDescriptor.Builder d;
    if (request instanceof ModelInferRequest r) {
      model = r.getModelName();
      boolean stream = rpcMethod.equals("ModelStreamInfer");
      boolean generate = stream && hasInput(r, "text_input");
      operation = stream ? (generate ? "generate" : "stream_infer") : operation;
      d = CallDescriptor.builder(InferenceSystem.TRITON, operation, model)
          .modelVersion(r.getModelVersion())
          .requestId(r.getId().isEmpty() ? null : r.getId())
          .batchSize(batchSize(r))
          .requestBytes(inputBytes(r))
          .streaming(stream)
          .genAi(generate)
          .genAiOperation(generate ? TritonClient.GENERATE_GENAI_OPERATION : null);
    } else {
      d = CallDescriptor.builder(InferenceSystem.TRITON, operation, modelOf(request));
    }
    return d.endpoint(endpoint)
        .probe(TritonClient.PROBES.contains(operation))
        .server(server == null ? null : server.host(), server == null ? -1 : server.port())
        .rpc(SERVICE, rpcMethod)
        .gpuIds(gpuIds)
        .gpuSource(gpuSource)
        .build();
  }

  /** The model an administrative request names ({@code name} or {@code model_name}), or empty. */
  private static String modelOf(Object request) {
    if (request instanceof com.google.protobuf.Message m) {
      for (String field : new String[] {"name", "model_name"}) {
        com.google.protobuf.Descriptors.FieldDescriptor f = m.getDescriptorForType().findFieldByName(field);
        if (f != null && f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.STRING
            && !f.isRepeated()) {
          return (String) m.getField(f);
        }
      }
    }
    return "";
  }

  private static boolean hasInput(ModelInferRequest r, String name) {
    for (int i = 0; i < r.getInputsCount(); i++) {
      if (r.getInputs(i).getName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** As {@link InferRequest#batchSize()}: the first dimension of the first input (1 for a scalar), or -1. */
  private static long batchSize(ModelInferRequest r) {
    if (r.getInputsCount() == 0) {
      return -1;
    }
    ModelInferRequest.InferInputTensor t = r.getInputs(0);
    return t.getShapeCount() == 0 ? 1 : t.getShape(0);
  }

  /** As {@link InferRequest#inputBytes()}: the raw tensor bytes, or the typed contents' size without them. */
  private static long inputBytes(ModelInferRequest r) {
    long n = 0;
    for (int i = 0; i < r.getRawInputContentsCount(); i++) {
      n += r.getRawInputContents(i).size();
    }
    if (r.getRawInputContentsCount() == 0) {
      for (int i = 0; i < r.getInputsCount(); i++) {
        n += r.getInputs(i).getContents().getSerializedSize();
      }
    }
    return n;
  }

  private static long outputBytes(ModelInferResponse r) {
    long n = 0;
    for (int i = 0; i < r.getRawOutputContentsCount(); i++) {
      n += r.getRawOutputContents(i).size();
    }
    return n;
  }

  /** One RPC: start held until the first message, the call ended exactly once when gRPC closes it. */
  private final class Instrumented<Q, R> extends ForwardingClientCall<Q, R> {
    private final Channel next;
    private final MethodDescriptor<Q, R> timedMethod;
    private final CallOptions options;
    private @Nullable ClientCall<Q, R> delegate;
    private final MethodDescriptor<Q, R> method;
    private final @Nullable String authority;
    private @Nullable Listener<R> listener;
    private @Nullable Metadata headers;
    private int requested;
    private boolean started;
    private @Nullable Boolean compression;
    private volatile @Nullable Call call;

    Instrumented(Channel next, MethodDescriptor<Q, R> timedMethod, CallOptions options, MethodDescriptor<Q, R> method,
        @Nullable String authority) {
      this.next = next;
      this.timedMethod = timedMethod;
      this.options = options;
      this.method = method;
      this.authority = authority;
    }

    /**
     * The channel's call, made when the first message goes out, with this RPC's span current: interceptors
     * inside (the OpenTelemetry Java agent's gRPC instrumentation, a user's) then see the span as parent.
     */
    @Override
    protected ClientCall<Q, R> delegate() {
      ClientCall<Q, R> d = delegate;
      if (d == null) {
        d = next.newCall(timedMethod, options);
        delegate = d;
      }
      return d;
    }

    @Override
    public void start(Listener<R> responseListener, Metadata headers) {
      this.listener = Objects.requireNonNull(responseListener, "responseListener");
      this.headers = Objects.requireNonNull(headers, "headers");
    }

    @Override
    public void request(int numMessages) {
      if (started) {
        delegate().request(numMessages);
      } else {
        requested += numMessages;
      }
    }

    @Override
    public void sendMessage(Q message) {
      if (!started) {
        startWith(message);
      }
      Call c = call;
      if (c == null) {
        delegate().sendMessage(message);
        return;
      }
      long t0 = c.clock().nanoTime();
      try (io.opentelemetry.context.Scope ignored = c.makeCurrent()) {
        delegate().sendMessage(message); // serialises and frames on this thread
      }
      c.recordPhase(Phase.SERIALIZE, c.clock().nanoTime() - t0);
    }

    @Override
    public void halfClose() {
      ensureStarted();
      delegate().halfClose();
    }

    @Override
    public void cancel(@Nullable String message, @Nullable Throwable cause) {
      ensureStarted();
      delegate().cancel(message, cause);
    }

    @Override
    public boolean isReady() {
      // before the first message the call is held, and ready for that message
      return !started || delegate().isReady();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      if (started) {
        delegate().setMessageCompression(enabled);
      } else {
        compression = enabled;
      }
    }

    private void startDelegate(Listener<R> l) {
      delegate().start(l, Objects.requireNonNull(headers));
      if (compression != null) {
        delegate().setMessageCompression(compression);
      }
      if (requested > 0) {
        delegate().request(requested);
      }
    }

    private void ensureStarted() {
      if (!started) {
        // nothing was sent: no call to record
        started = true;
        startDelegate(Objects.requireNonNull(listener, "start() was not called"));
      }
    }

    private void startWith(Q message) {
      started = true;
      Call c = null;
      try {
        c = telemetry.start(describe(method.getBareMethodName(), message, authority));
        c.inject(headers, (carrier, k, v) -> {
          if (carrier != null) {
            carrier.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v);
          }
        });
      } catch (RuntimeException e) {
        c = null; // telemetry never breaks the caller's RPC
      }
      call = c;
      Listener<R> l = Objects.requireNonNull(listener, "start() was not called");
      if (c == null) {
        startDelegate(l);
        return;
      }
      try (io.opentelemetry.context.Scope ignored = c.makeCurrent()) {
        delegate(); // made under the span
        startDelegate(new Recording<>(l, c));
      }
    }
  }

  /** Records responses and the close into the call, then hands them on unchanged. */
  private static final class Recording<R> extends ForwardingClientCallListener.SimpleForwardingClientCallListener<R> {
    private final Call call;
    private long responseBytes;

    Recording(ClientCall.Listener<R> delegate, Call call) {
      super(delegate);
      this.call = call;
    }

    @Override
    public void onMessage(R message) {
      long arrival = call.clock().nanoTime();
      long[] parse = PARSE_NANOS.get();
      if (parse[0] >= 0) {
        call.recordPhase(Phase.DESERIALIZE, parse[0]);
        parse[0] = -1;
      }
      ModelInferResponse infer = message instanceof ModelInferResponse r ? r
          : message instanceof ModelStreamInferResponse s && s.hasInferResponse() ? s.getInferResponse() : null;
      if (infer != null) {
        responseBytes += outputBytes(infer);
        call.responseBytes(responseBytes);
        call.modelVersion(infer.getModelVersion());
      }
      if (call.descriptor().streaming()) {
        call.onChunk(arrival);
      }
      super.onMessage(message);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      call.grpcStatusCode(status.getCode().value());
      if (status.isOk()) {
        call.end();
      } else {
        call.end(TritonErrors.fromGrpc(status.asRuntimeException(trailers)));
      }
      super.onClose(status, trailers);
    }
  }

  /** Builds a {@link TritonTelemetryInterceptor}. */
  public static final class Builder {
    private final InferenceTelemetry telemetry;
    private String endpoint = "default";
    private List<String> gpuIds = List.of();
    private @Nullable GpuStateSource gpuSource;

    private Builder(InferenceTelemetry telemetry) {
      this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** The endpoint name in telemetry (default {@code default}), as {@link TritonClient.Builder#endpoint}. */
    public Builder endpoint(String endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /** UUIDs (or indexes) of the GPUs serving this server, as {@link TritonClient.Builder#gpuIds}. */
    public Builder gpuIds(List<String> gpuIds) {
      this.gpuIds = List.copyOf(gpuIds);
      return this;
    }

    /** This server's GPU source, as {@link TritonClient.Builder#gpuSource}. */
    public Builder gpuSource(@Nullable GpuStateSource gpuSource) {
      this.gpuSource = gpuSource;
      return this;
    }

    public TritonTelemetryInterceptor build() {
      return new TritonTelemetryInterceptor(this);
    }
  }
}
