package dev.inferscope.core;

import static dev.inferscope.core.InferenceAttributes.*;

import dev.inferscope.core.internal.CallMeters;
import dev.inferscope.core.internal.ServerValues;
import dev.inferscope.core.internal.RequestLogWriter;
import io.micrometer.core.instrument.Tags;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry of one inference call, from {@link InferenceTelemetry#start} to {@link #end()}.
 *
 * <p>Clients measure and report here: phases, server timing, chunk arrivals, token counts, response
 * attributes. {@link #end()} (or {@link #end(Throwable)}, {@link #cancel()}) turns them into the span,
 * the meters, the sampled JSON log line and the GPU snapshot, exactly once: later calls to any
 * {@code end} method do nothing. Recording methods are thread-safe, cheap and never throw; once the call
 * has ended they are ignored.
 */
public final class Call {
  private static final Logger LOG = LoggerFactory.getLogger(Call.class);
  private static final Phase[] PHASES = Phase.values();
  private static final Phase[] CLIENT_PHASES = {Phase.CLIENT_QUEUE, Phase.SERIALIZE, Phase.DESERIALIZE};

  private final InferenceTelemetry telemetry;
  private final CallDescriptor descriptor;
  private final InferenceClock clock;
  private final Span span;
  private final Context context;
  private final long startNanos;
  private final long startEpochNanos;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final CallMeters.@Nullable Active active;

  // Guarded by this.
  private final long[] phaseNanos = new long[PHASES.length];
  private final boolean[] phaseSet = new boolean[PHASES.length];
  private ServerTimingSource serverTimingSource = ServerTimingSource.NONE;
  private long roundTripNanos = -1;
  private long prefillNanos = -1;
  private long serverTtftNanos = -1;
  private long serverItlNanos = -1;
  private long chunks;
  private long lastChunkNanos;
  private long inputTokens = -1;
  private long outputTokens = -1;
  private long requestBytes;
  private long responseBytes = -1;
  private long batchSize;
  private int attempts = 1;
  private double confidence = Double.NaN;
  private @Nullable String modelVersion;
  private @Nullable String responseModel;
  private @Nullable String responseId;
  private io.opentelemetry.api.common.@Nullable AttributesBuilder responseAttributes;
  private @Nullable List<String> finishReasons;
  private int grpcStatusCode = -1;
  private int httpStatusCode = -1;

  Call(InferenceTelemetry telemetry, CallDescriptor requested) {
    this.telemetry = telemetry;
    this.clock = telemetry.clock();
    Context parent = Context.current();
    CallDescriptor descriptor = fromBaggage(telemetry, requested, parent);
    this.descriptor = descriptor;
    this.requestBytes = descriptor.requestBytes();
    this.batchSize = descriptor.batchSize();
    this.modelVersion = descriptor.modelVersion();
    this.startNanos = clock.nanoTime();
    this.startEpochNanos = clock.epochNanos();
    SpanBuilder sb = telemetry.tracer()
        .spanBuilder(spanName(telemetry, descriptor))
        .setSpanKind(SpanKind.CLIENT)
        .setParent(parent)
        .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS);
    startAttributes(sb, descriptor, telemetry.rpcSemconv());
    AttributesExtractor[] extractors = telemetry.extractors();
    if (extractors.length > 0) {
      AttributesBuilder extra = Attributes.builder();
      for (AttributesExtractor x : extractors) {
        try {
          x.onStart(extra, descriptor);
        } catch (RuntimeException e) {
          LOG.debug("inferscope: attributes extractor failed at start", e);
        }
      }
      sb.setAllAttributes(extra.build());
    }
    this.span = sb.startSpan();
    this.context = parent.with(span);
    CallMeters meters = descriptor.probe() ? null : telemetry.meters(); // probes are not inference calls
    this.active = meters == null ? null : meters.active(descriptor);
    if (active != null) {
      active.increment();
    }
  }

  /**
   * The descriptor with what the allow-listed Baggage entries add: custom attributes the request did not
   * set itself, and an experiment when the request named none. The request's own values win.
   */
  private static CallDescriptor fromBaggage(InferenceTelemetry telemetry, CallDescriptor d, Context parent) {
    String[] keys = telemetry.baggageAttributes();
    String experimentKey = telemetry.experimentBaggageKey();
    if (keys.length == 0 && experimentKey == null) {
      return d;
    }
    Baggage baggage = Baggage.fromContext(parent);
    if (baggage.isEmpty()) {
      return d;
    }
    Map<String, String> added = null;
    for (String k : keys) {
      String v = baggageValue(baggage, k);
      if (v != null && !d.attributes().containsKey(k)) {
        if (added == null) {
          added = new LinkedHashMap<>(d.attributes());
        }
        if (added.size() < CallContext.MAX_ATTRIBUTES) {
          added.put(k, v);
        }
      }
    }
    String experiment = null;
    String variant = null;
    if (experimentKey != null && d.experiment() == null) {
      experiment = baggageValue(baggage, experimentKey);
      variant = experiment == null ? null : baggageValue(baggage, telemetry.variantBaggageKey());
    }
    if (added == null && experiment == null) {
      return d;
    }
    CallDescriptor.Builder b = d.toBuilder();
    if (added != null) {
      b.attributes(added);
    }
    if (experiment != null) {
      b.experiment(experiment, variant);
    }
    return b.build();
  }

  private static @Nullable String baggageValue(Baggage baggage, @Nullable String key) {
    if (key == null) {
      return null;
    }
    String v = baggage.getEntryValue(key);
    return CallContext.isValidValue(v) ? v : null;
  }

  private static String spanName(InferenceTelemetry telemetry, CallDescriptor d) {
    SpanNameExtractor x = telemetry.spanNameExtractor();
    if (x == null) {
      return d.spanName();
    }
    try {
      String name = x.spanName(d);
      if (name != null && !name.isEmpty() && name.length() <= 256) {
        return name;
      }
    } catch (RuntimeException e) {
      LOG.debug("inferscope: span name extractor failed", e);
    }
    return d.spanName();
  }

  /** The attributes known at the start, set one by one (no intermediate Attributes to build and sort). */
  private static void startAttributes(SpanBuilder a, CallDescriptor d, SemconvMode rpc) {
    a.setAttribute(INFERENCE_SYSTEM, d.system().value());
    a.setAttribute(MODEL_NAME, d.model());
    a.setAttribute(ENDPOINT, d.endpoint());
    putIfNotNull(a, MODEL_VERSION, d.modelVersion());
    putIfNotNull(a, REQUEST_ID, d.requestId());
    putIfNotNull(a, SERVER_ADDRESS, d.serverAddress());
    if (d.serverPort() > 0) {
      a.setAttribute(SERVER_PORT, (long) d.serverPort());
    }
    if (d.rpcService() != null) {
      if (rpc.old()) {
        a.setAttribute(RPC_SYSTEM, "grpc");
        a.setAttribute(RPC_SERVICE, d.rpcService());
      }
      if (rpc.current()) {
        a.setAttribute(InferenceAttributes.RPC_SYSTEM_NAME, "grpc");
        putIfNotNull(a, RPC_METHOD, d.rpcMethod() == null ? null : d.rpcService() + "/" + d.rpcMethod());
      } else {
        putIfNotNull(a, RPC_METHOD, d.rpcMethod());
      }
    }
    putIfNotNull(a, HTTP_REQUEST_METHOD, d.httpMethod());
    putIfNotNull(a, URL_FULL, d.urlFull());
    putIfNotNull(a, EXPERIMENT, d.experiment());
    putIfNotNull(a, VARIANT, d.variant());
    for (Map.Entry<String, String> e : d.attributes().entrySet()) {
      a.setAttribute(e.getKey(), e.getValue());
    }
    if (!d.requestAttributes().isEmpty()) {
      a.setAllAttributes(d.requestAttributes());
    }
    if (d.genAi()) {
      a.setAttribute(GEN_AI_OPERATION_NAME, d.genAiOperation());
      a.setAttribute(GEN_AI_PROVIDER_NAME, d.system().value());
      a.setAttribute(GEN_AI_REQUEST_MODEL, d.model());
      if (d.maxTokens() != null) {
        a.setAttribute(GEN_AI_REQUEST_MAX_TOKENS, (long) d.maxTokens());
      }
      if (d.temperature() != null) {
        a.setAttribute(GEN_AI_REQUEST_TEMPERATURE, d.temperature());
      }
      if (d.topP() != null) {
        a.setAttribute(GEN_AI_REQUEST_TOP_P, d.topP());
      }
    }
  }

  private static void putIfNotNull(SpanBuilder a, io.opentelemetry.api.common.AttributeKey<String> k,
      @Nullable String v) {
    if (v != null) {
      a.setAttribute(k, v);
    }
  }

  /** What this call is. */
  public CallDescriptor descriptor() {
    return descriptor;
  }

  /** The OpenTelemetry context holding this call's span: the parent of anything the call does. */
  public Context context() {
    return context;
  }

  /** Makes this call's span current on this thread; close the scope on the same thread. */
  public Scope makeCurrent() {
    return context.makeCurrent();
  }

  /** The trace context of the call's span (for correlation; never use it to build telemetry). */
  public SpanContext spanContext() {
    return span.getSpanContext();
  }

  /** The clock this call measures with. */
  public InferenceClock clock() {
    return clock;
  }

  /** When the call started, on the clock's {@link InferenceClock#nanoTime()}. */
  public long startNanos() {
    return startNanos;
  }

  /** Nanoseconds since the call started. */
  public long elapsedNanos() {
    return clock.nanoTime() - startNanos;
  }

  /**
   * Injects the call's trace context (W3C {@code traceparent}, and whatever else the configured
   * propagators write) into an outgoing carrier: gRPC {@code Metadata}, HTTP headers, a map.
   */
  public <C> void inject(C carrier, TextMapSetter<C> setter) {
    telemetry.openTelemetry().getPropagators().getTextMapPropagator().inject(context, carrier, setter);
  }

  /** The propagation headers of this call as a fresh map (for HTTP clients that take a map). */
  public Map<String, String> propagationHeaders() {
    Map<String, String> headers = new LinkedHashMap<>(4);
    inject(headers, MapSetter.INSTANCE);
    return headers;
  }

  /** Adds {@code nanos} to a measured phase. {@link Phase#NETWORK} is derived and cannot be recorded. */
  public void recordPhase(Phase phase, long nanos) {
    if (phase == Phase.NETWORK || nanos < 0) {
      return;
    }
    synchronized (this) {
      phaseNanos[phase.ordinal()] += nanos;
      phaseSet[phase.ordinal()] = true;
    }
  }

  /**
   * Records the server's own queue and compute time for this call (negative values mean unknown). The
   * two are capped at end so that the partition still sums to the call's total.
   */
  public void serverTiming(long queueNanos, long computeNanos, ServerTimingSource source) {
    queueNanos = ServerValues.nanos(queueNanos);
    computeNanos = ServerValues.nanos(computeNanos);
    synchronized (this) {
      if (queueNanos >= 0) {
        phaseNanos[Phase.SERVER_QUEUE.ordinal()] = queueNanos;
        phaseSet[Phase.SERVER_QUEUE.ordinal()] = true;
      }
      if (computeNanos >= 0) {
        phaseNanos[Phase.SERVER_COMPUTE.ordinal()] = computeNanos;
        phaseSet[Phase.SERVER_COMPUTE.ordinal()] = true;
      }
      serverTimingSource = source;
      roundTripNanos = -1;
      prefillNanos = -1;
    }
  }

  /**
   * Records the server's compute time for this call when the server does not report its queue: at end,
   * SERVER_QUEUE becomes the remainder of the total after the client's measured phases, the compute and
   * {@code roundTripNanos} (the network round trip measured on the same connection or channel), so an
   * error in the estimate lands in the queue and not in NETWORK. Both server phases are marked
   * estimated. A negative compute counts as zero; a negative round trip falls back to
   * {@link #serverTiming} with an unknown queue.
   */
  public void serverTimingEstimate(long computeNanos, long roundTripNanos, ServerTimingSource source) {
    serverTimingEstimate(computeNanos, -1, roundTripNanos, source);
  }

  /**
   * As {@link #serverTimingEstimate(long, long, ServerTimingSource)}, for a stream whose server also
   * reported its prefill ({@code prefillNanos}: admission to first token, e.g. llama.cpp's
   * {@code prompt_ms}): the queue is then also bounded by the client's time to first token minus the
   * client phases before sending, the prefill and the round trip. The start of a stream is measured
   * before the client's reading can fall behind the server, so this bound is the tighter one under load.
   */
  public void serverTimingEstimate(long computeNanos, long prefillNanos, long roundTripNanos,
      ServerTimingSource source) {
    computeNanos = ServerValues.nanos(computeNanos);
    prefillNanos = ServerValues.nanos(prefillNanos);
    if (roundTripNanos < 0) {
      serverTiming(-1, computeNanos, source);
      return;
    }
    synchronized (this) {
      phaseNanos[Phase.SERVER_COMPUTE.ordinal()] = Math.max(0, computeNanos);
      phaseSet[Phase.SERVER_COMPUTE.ordinal()] = true;
      phaseSet[Phase.SERVER_QUEUE.ordinal()] = true; // derived at end
      serverTimingSource = source;
      this.roundTripNanos = roundTripNanos;
      this.prefillNanos = prefillNanos;
    }
  }

  /**
   * The server's own LLM latency figures for this request (vLLM's {@code time_to_first_token_ms},
   * counted from scheduling, and {@code mean_itl_ms}), recorded beside the client's time to first
   * token and chunk gaps; negative values mean unknown. They overlap the partition and are never part
   * of it.
   */
  public synchronized void serverLatency(long timeToFirstTokenNanos, long meanInterTokenNanos) {
    timeToFirstTokenNanos = ServerValues.nanos(timeToFirstTokenNanos);
    meanInterTokenNanos = ServerValues.nanos(meanInterTokenNanos);
    if (timeToFirstTokenNanos >= 0) {
      this.serverTtftNanos = timeToFirstTokenNanos;
    }
    if (meanInterTokenNanos >= 0) {
      this.serverItlNanos = meanInterTokenNanos;
    }
  }

  /**
   * Streaming: a chunk has just arrived. Call it at arrival, before parsing. The first call records
   * {@link Phase#TIME_TO_FIRST_TOKEN}; each later one adds the gap since the previous chunk to
   * {@link Phase#DECODE} and to the time-per-output-chunk meter.
   */
  public void onChunk() {
    onChunk(clock.nanoTime());
  }

  /**
   * Streaming: the reader takes the end of the response now, which had reached the client at
   * {@code arrivalNanos} (on this call's {@link #clock()}; negative when unknown). The wait between the two
   * is the client's — a reader that fell behind, or a busy machine slow to wake it — and is added to
   * {@link Phase#DESERIALIZE}, not left in NETWORK.
   */
  public void endTaken(long arrivalNanos) {
    long taken = clock.nanoTime();
    if (arrivalNanos >= 0 && taken > arrivalNanos) {
      recordPhase(Phase.DESERIALIZE, taken - arrivalNanos);
    }
  }

  /**
   * Streaming: a chunk arrived at {@code arrivalNanos} (on this call's {@link #clock()}). Lets a client
   * take the arrival time before parsing and decide after parsing whether the event was an output chunk
   * (a usage-only or keep-alive event is not).
   */
  public void onChunk(long arrivalNanos) {
    long now = arrivalNanos;
    long gap;
    synchronized (this) {
      if (ended.get()) {
        return;
      }
      if (chunks == 0) {
        phaseNanos[Phase.TIME_TO_FIRST_TOKEN.ordinal()] = now - startNanos;
        phaseSet[Phase.TIME_TO_FIRST_TOKEN.ordinal()] = true;
        gap = -1;
      } else {
        gap = now - lastChunkNanos;
        phaseNanos[Phase.DECODE.ordinal()] += gap;
        phaseSet[Phase.DECODE.ordinal()] = true;
      }
      chunks++;
      lastChunkNanos = now;
    }
    CallMeters meters = active == null ? null : telemetry.meters();
    if (gap >= 0 && meters != null && descriptor.genAi()) {
      meters.chunkGap(descriptor, active, gap);
    }
  }

  /** Chunks received so far. */
  public synchronized long chunks() {
    return chunks;
  }

  /** Whether a stream has delivered data: from then on the call is never retried. */
  public synchronized boolean dataDelivered() {
    return chunks > 0;
  }

  /** Token usage; pass -1 for an unknown count. */
  public synchronized void tokens(long input, long output) {
    input = ServerValues.tokens(input);
    output = ServerValues.tokens(output);
    if (input >= 0) {
      this.inputTokens = input;
    }
    if (output >= 0) {
      this.outputTokens = output;
    }
  }

  public synchronized void modelVersion(@Nullable String version) {
    version = ServerValues.id(version);
    if (version != null) {
      this.modelVersion = version;
    }
  }

  public synchronized void responseModel(@Nullable String model) {
    this.responseModel = ServerValues.id(model);
  }

  /**
   * A fact about the response for the span (a count such as the number of tool calls, a token detail such
   * as {@code gen_ai.usage.reasoning.output_tokens}: never content). {@code null} values are ignored; a
   * later value for the same key replaces an earlier one.
   */
  public synchronized <T> void responseAttribute(io.opentelemetry.api.common.AttributeKey<T> key,
      @Nullable T value) {
    if (value != null) {
      if (responseAttributes == null) {
        responseAttributes = io.opentelemetry.api.common.Attributes.builder();
      }
      responseAttributes.put(key, value);
    }
  }

  public synchronized void responseId(@Nullable String id) {
    this.responseId = ServerValues.id(id);
  }

  public synchronized void finishReasons(@Nullable List<String> reasons) {
    this.finishReasons = ServerValues.reasons(reasons);
  }

  public synchronized void requestBytes(long bytes) {
    this.requestBytes = bytes;
  }

  public synchronized void responseBytes(long bytes) {
    this.responseBytes = ServerValues.bytes(bytes);
  }

  public synchronized void batchSize(long size) {
    this.batchSize = size;
  }

  public synchronized void grpcStatusCode(int code) {
    this.grpcStatusCode = code;
  }

  public synchronized void httpStatusCode(int code) {
    this.httpStatusCode = code;
  }

  /** Records the number of attempts made so far (the resilience policy does this). */
  public synchronized void attempts(int attempts) {
    this.attempts = attempts;
  }

  public synchronized int attempts() {
    return attempts;
  }

  /**
   * The model's confidence in its prediction (0..1; other values are ignored). Low-confidence calls are
   * always logged. The value itself is not logged.
   */
  public synchronized void confidence(double confidence) {
    if (confidence >= 0 && confidence <= 1) {
      this.confidence = confidence;
    }
  }

  /**
   * Records the confidence {@code reader} finds in {@code result} (the request's confidence function),
   * and feeds it to the telemetry's {@link InferenceTelemetry#driftMonitor() drift monitor} as a
   * prediction of this call's model ({@code inference.prediction.confidence}); nothing when the reader is
   * null, throws, or gives a value outside 0..1. The result is never touched otherwise, and a failing
   * reader never fails the call.
   */
  public <T> void confidence(T result, @Nullable ToDoubleFunction<? super T> reader) {
    if (reader == null) {
      return;
    }
    double c;
    try {
      c = reader.applyAsDouble(result);
    } catch (RuntimeException e) {
      LOG.debug("inferscope: the request's confidence function failed; no confidence recorded", e);
      return;
    }
    if (c >= 0 && c <= 1) {
      confidence(c);
      // the quality dashboard's confidence panels (inference.prediction.confidence / .low_confidence)
      telemetry.driftMonitor().observePrediction(descriptor.model(), c, null);
    }
  }

  /** Whether the call has ended. */
  public boolean isEnded() {
    return ended.get();
  }

  /**
   * Runs a non-streaming call's attempts under {@code policy} (bulkhead, circuit breaker, retries within
   * {@code deadline}) and ends this call with the outcome.
   *
   * @throws InferenceException on failure, after the call has ended with it
   */
  public <T> T execute(ResiliencePolicy policy, @Nullable Deadline deadline, ResiliencePolicy.Attempt<T> attempt) {
    try {
      T result = policy.execute(this, deadline, attempt);
      end();
      return result;
    } catch (InferenceException e) {
      end(e);
      throw e;
    }
  }

  /**
   * Async form of {@link #execute}: the returned future completes with the result or an
   * {@link InferenceException}; cancelling it cancels the attempt in flight and ends the call as
   * {@link ErrorType#CANCELLED}.
   */
  public <T> CompletableFuture<T> executeAsync(
      ResiliencePolicy policy, @Nullable Deadline deadline, ResiliencePolicy.AsyncAttempt<T> attempt) {
    CompletableFuture<T> out = new CompletableFuture<>();
    CompletableFuture<T> inner = policy.executeAsync(this, deadline, attempt);
    inner.whenComplete((r, t) -> {
      if (t == null) {
        end();
        out.complete(r);
      } else {
        InferenceException e = InferenceException.from(t);
        end(e);
        out.completeExceptionally(e);
      }
    });
    out.whenComplete((r, t) -> {
      if (out.isCancelled()) {
        inner.cancel(true);
        cancel();
      }
    });
    return out;
  }

  /** Ends the call as a success. */
  public void end() {
    finish(Outcome.SUCCESS, null, null);
  }

  /** Ends the call with a failure; non-Inferscope throwables are classified first. */
  public void end(Throwable error) {
    InferenceException e = InferenceException.from(error);
    Outcome outcome = e.errorType() == ErrorType.CANCELLED ? Outcome.CANCELLED : Outcome.ERROR;
    finish(outcome, e.errorType(), e);
  }

  /** Ends the call as cancelled by the caller. */
  public void cancel() {
    finish(Outcome.CANCELLED, ErrorType.CANCELLED, null);
  }

  private void finish(Outcome outcome, @Nullable ErrorType errorType, @Nullable InferenceException error) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    try {
      emit(outcome, errorType, error);
    } catch (RuntimeException | LinkageError e) {
      // Telemetry must never break the caller.
      LOG.debug("inferscope: failed to emit telemetry for {}", descriptor, e);
    } finally {
      if (active != null) {
        active.decrement();
      }
    }
  }

  private void emit(Outcome outcome, @Nullable ErrorType errorType, @Nullable InferenceException error) {
    CallMeters meters = descriptor.probe() ? null : telemetry.meters();
    CallListener[] listeners = telemetry.listeners();
    boolean recording = span.isRecording();
    LogPolicy policy = telemetry.logPolicy();
    if (!recording && meters == null && listeners.length == 0 && !policy.enabled()) {
      return; // nothing would read the record: the no-op telemetry stops here
    }
    CallRecord r = record(outcome, errorType, error);
    SpanRecorder.record(span, r, telemetry.extractors(), listeners, telemetry.phaseEvents(), telemetry.rpcSemconv());

    if (meters != null) {
      meters.record(r, active, meterTags(r));
    }

    String sampledBy = policy.sampledBy(errorType != null && outcome != Outcome.CANCELLED, r.durationNanos(),
        r.confidence());
    if (sampledBy != null) {
      RequestLogWriter writer = telemetry.logWriter();
      if (writer.enabled()) {
        writer.write(r, sampledBy);
      }
    }

    for (CallListener l : listeners) {
      try {
        l.onCallEnd(r);
      } catch (RuntimeException e) {
        LOG.debug("inferscope: call listener failed", e);
      }
    }
  }

  /** The one record of this call: every recorder is fed from it. */
  private CallRecord record(Outcome outcome, @Nullable ErrorType errorType, @Nullable InferenceException error) {
    long endNanos = clock.nanoTime();
    long duration = Math.max(0, endNanos - startNanos);
    GpuSnapshot gpu = gpuSnapshot();
    long gpuAge = gpu == null ? -1 : Math.max(0, endNanos - gpu.sampledAtNanos());
    SpanContext sc = span.getSpanContext();
    String errorCode = error == null ? null : ServerValues.code(error.serverCode());
    EnumMap<Phase, Long> phases = new EnumMap<>(Phase.class);
    synchronized (this) {
      partition(duration, phases);
      for (Phase p : PHASES) {
        if (!p.inPartition() && phaseSet[p.ordinal()]) {
          phases.put(p, phaseNanos[p.ordinal()]);
        }
      }
      int nAttempts = error != null && error.attempts() > attempts ? error.attempts() : attempts;
      return new CallRecord(descriptor, outcome, errorType, errorCode, duration, startEpochNanos, phases,
          serverTimingSource, inputTokens, outputTokens, chunks, nAttempts, confidence, modelVersion,
          responseModel, responseId, finishReasons, requestBytes, responseBytes, batchSize, grpcStatusCode,
          httpStatusCode, serverTtftNanos, serverItlNanos, gpu, gpuAge, sc.isValid() ? sc.getTraceId() : null,
          sc.isValid() ? sc.getSpanId() : null, descriptor.attributes(),
          responseAttributes == null ? io.opentelemetry.api.common.Attributes.empty() : responseAttributes.build());
    }
  }

  private Tags meterTags(CallRecord r) {
    MeterTagConvention convention = telemetry.meterTagConvention();
    if (convention == null) {
      return Tags.empty();
    }
    try {
      Tags t = convention.tags(r);
      return t == null ? Tags.empty() : t;
    } catch (RuntimeException e) {
      LOG.debug("inferscope: meter tag convention failed", e);
      return Tags.empty();
    }
  }

  /**
   * Splits {@code duration} into the partition (see {@link Phase}): the client's measured phases first,
   * then the server's (reported ones capped at what is left; a queue derived from a round trip is the
   * remainder), and NETWORK last, as what remains. The values put into {@code out} are never negative
   * and sum to {@code duration} exactly. Caller holds the lock.
   */
  private void partition(long duration, EnumMap<Phase, Long> out) {
    long left = duration;
    for (Phase p : CLIENT_PHASES) {
      if (phaseSet[p.ordinal()]) {
        long v = Math.min(phaseNanos[p.ordinal()], left);
        out.put(p, v);
        left -= v;
      }
    }
    boolean queueSet = phaseSet[Phase.SERVER_QUEUE.ordinal()];
    boolean computeSet = phaseSet[Phase.SERVER_COMPUTE.ordinal()];
    long compute = computeSet ? Math.min(phaseNanos[Phase.SERVER_COMPUTE.ordinal()], left) : 0;
    long queue;
    if (queueSet && roundTripNanos >= 0) { // set only by serverTimingEstimate: the queue is the remainder
      long remainder = left - compute - roundTripNanos;
      if (prefillNanos >= 0 && phaseSet[Phase.TIME_TO_FIRST_TOKEN.ordinal()]) {
        long beforeSend = phaseNanos[Phase.CLIENT_QUEUE.ordinal()] + phaseNanos[Phase.SERIALIZE.ordinal()];
        remainder = Math.min(remainder,
            phaseNanos[Phase.TIME_TO_FIRST_TOKEN.ordinal()] - beforeSend - prefillNanos - roundTripNanos);
      }
      queue = Math.max(0, remainder);
    } else {
      queue = queueSet ? Math.min(phaseNanos[Phase.SERVER_QUEUE.ordinal()], left - compute) : 0;
    }
    if (queueSet) {
      out.put(Phase.SERVER_QUEUE, queue);
    }
    if (computeSet) {
      out.put(Phase.SERVER_COMPUTE, compute);
    }
    out.put(Phase.NETWORK, left - compute - queue);
  }

  private @Nullable GpuSnapshot gpuSnapshot() {
    GpuStateSource source = descriptor.gpuSource() != null ? descriptor.gpuSource() : telemetry.gpuStateSource();
    List<String> ids = descriptor.gpuIds();
    if (!ids.isEmpty()) {
      return source.latest(ids.get(0));
    }
    List<GpuSnapshot> all = source.latest();
    return all.isEmpty() ? null : all.get(0);
  }

  @Override
  public String toString() {
    return "Call[" + descriptor.spanName() + (ended.get() ? ", ended" : "") + "]";
  }

  private enum MapSetter implements TextMapSetter<Map<String, String>> {
    INSTANCE;

    @Override
    public void set(@Nullable Map<String, String> carrier, String key, String value) {
      if (carrier != null) {
        carrier.put(key, value);
      }
    }
  }
}
