package dev.inferscope.testkit.triton;

import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.internal.Json;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.triton.protocol.ModelInferRequest;
import dev.inferscope.triton.protocol.ModelInferResponse;
import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The simulated server's scheduler, shared by the gRPC and HTTP frontends: per model a FIFO queue in front
 * of its instances (with Triton's queue size limit and queue timeout), dynamic batching, the compute time
 * with jitter, spikes and errors, LLM token pacing, and the counters and ground truth that statistics,
 * {@code /metrics} and tests read. All its time comes from one {@link InferenceClock}.
 */
final class Scheduler {
  private final Map<String, ModelState> models = new LinkedHashMap<>();
  private final Map<String, TritonSimulator.RequestTruth> truths = new ConcurrentHashMap<>();
  private final InferenceClock clock;
  private final FaultPlan faults;

  Scheduler(List<SimulatedModel> models, InferenceClock clock, FaultPlan faults) {
    for (SimulatedModel m : models) {
      this.models.put(m.name(), new ModelState(m));
    }
    this.clock = clock;
    this.faults = faults;
  }

  InferenceClock clock() {
    return clock;
  }

  Collection<ModelState> models() {
    return models.values();
  }

  @Nullable ModelState find(String name) {
    return models.get(name);
  }

  /** A model's state for the simulator's own API (an unknown name is the test's mistake). */
  ModelState state(String model) {
    ModelState s = models.get(model);
    if (s == null) {
      throw new IllegalArgumentException("no simulated model " + model);
    }
    return s;
  }

  /** {@code micros} from now on the scheduler's clock (Triton's {@code timeout} request parameter). */
  long deadlineAfterMicros(long micros) {
    return clock.nanoTime() + TimeUnit.MICROSECONDS.toNanos(micros);
  }

  ModelState model(String name) {
    return model(name, false);
  }

  ModelState model(String name, boolean evenUnloaded) {
    ModelState s = models.get(name);
    if (s == null) {
      throw new SimError(Status.NOT_FOUND, 404, "Request for unknown model: '" + name + "' is not found");
    }
    if (!s.loaded && !evenUnloaded) {
      throw new SimError(Status.UNAVAILABLE, 503, "Request for unknown model: '" + name + "' is not ready");
    }
    return s;
  }

  /** The true queue and compute time of the served request with this {@code id}, or {@code null}. */
  TritonSimulator.@Nullable RequestTruth requestTruth(String id) {
    return truths.get(id);
  }

  void rememberTruth(String id, long[] timing) {
    if (!id.isEmpty() && truths.size() < 100_000) {
      truths.put(id, new TritonSimulator.RequestTruth(id, timing[0], timing[1]));
    }
  }

  /** Waits for an instance and runs the compute; returns the queue and compute time. */
  long[] execute(ModelState s, long deadlineNanos, Runnable checkCancelled) {
    if (s.model.maxBatchSize() > 1 && faults.batching()) {
      ModelState.Batch joined = null;
      long arrivedAt = clock.nanoTime();
      synchronized (s.batchLock) {
        ModelState.Batch b = s.forming;
        if (b != null && !b.closed && b.size < s.model.maxBatchSize()) {
          b.size++;
          joined = b;
        }
      }
      if (joined != null) {
        try {
          long wait = deadlineNanos == Long.MAX_VALUE ? TimeUnit.MINUTES.toNanos(10) : deadlineNanos - clock.nanoTime();
          if (!joined.done.await(Math.max(0, wait), TimeUnit.NANOSECONDS)) {
            throw new SimError(Status.DEADLINE_EXCEEDED, 504, "Request timeout expired");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SimError(Status.CANCELLED, 499, "cancelled");
        }
        if (joined.failure != null) {
          throw joined.failure;
        }
        long queue = Math.max(0, joined.startedNanos - arrivedAt);
        s.served.incrementAndGet();
        s.inferences.incrementAndGet();
        s.queueNanos.addAndGet(queue);
        // Triton counts a batch's execution in the compute statistics of every request in it
        // (triton-inference-server/core src/infer_stats.cc, UpdateSuccess per request)
        s.computeNanos.addAndGet(joined.computedNanos);
        s.successNanos.addAndGet(clock.nanoTime() - arrivedAt);
        return new long[] {queue, joined.computedNanos};
      }
    }
    return executeAlone(s, deadlineNanos, checkCancelled);
  }

  private long[] executeAlone(ModelState s, long deadlineNanos, Runnable checkCancelled) {
    faults.beforeQueue();
    long arrived = clock.nanoTime();
    SimulatedModel m = s.model;
    if (m.maxQueueSize() > 0 && s.waiting.get() >= m.maxQueueSize() && s.instances.availablePermits() == 0) {
      s.rejected.incrementAndGet();
      throw new SimError(Status.UNAVAILABLE, 503, "Exceeds maximum queue size");
    }
    long queueLimit = m.queueTimeout().isZero() ? Long.MAX_VALUE : arrived + m.queueTimeout().toNanos();
    s.waiting.incrementAndGet();
    // One timed wait on the fair semaphore keeps the queue first-in-first-out; a cancelled gRPC call
    // interrupts the wait through a context listener.
    Thread waiter = Thread.currentThread();
    Context ctx = Context.current();
    Context.CancellationListener onCancel = c -> waiter.interrupt();
    ctx.addListener(onCancel, Runnable::run);
    boolean acquired;
    try {
      checkCancelled.run();
      long limit = Math.min(deadlineNanos, queueLimit);
      long wait = limit == Long.MAX_VALUE ? Long.MAX_VALUE : limit - clock.nanoTime();
      acquired = wait > 0 && s.instances.tryAcquire(wait, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      s.cancelledInQueue.incrementAndGet();
      throw new SimError(Status.CANCELLED, 499, "cancelled");
    } catch (SimError e) {
      s.cancelledInQueue.incrementAndGet();
      throw e;
    } finally {
      ctx.removeListener(onCancel);
      s.waiting.decrementAndGet();
    }
    if (Thread.interrupted() || ctx.isCancelled()) {
      if (acquired) {
        s.instances.release();
      }
      s.cancelledInQueue.incrementAndGet();
      throw new SimError(Status.CANCELLED, 499, "cancelled");
    }
    if (!acquired) {
      if (clock.nanoTime() >= queueLimit && queueLimit <= deadlineNanos) {
        s.timedOut.incrementAndGet();
        throw new SimError(Status.UNAVAILABLE, 503, "Request timeout expired");
      }
      s.cancelledInQueue.incrementAndGet();
      throw new SimError(Status.DEADLINE_EXCEEDED, 504, "Request timeout expired");
    }
    ModelState.Batch batch = null;
    if (m.maxBatchSize() > 1) {
      batch = new ModelState.Batch();
      synchronized (s.batchLock) {
        s.forming = batch;
      }
      sleep(m.maxQueueDelay().toNanos());
      synchronized (s.batchLock) {
        batch.closed = true;
        if (s.forming == batch) {
          s.forming = null;
        }
      }
    }
    long queue = clock.nanoTime() - arrived;
    try {
      long start = clock.nanoTime();
      if (batch != null) {
        batch.startedNanos = start;
      }
      long compute = m.computeTime().toNanos();
      boolean fail;
      synchronized (s.random) {
        if (!m.computeJitter().isZero()) {
          compute += (long) ((s.random.nextDouble() * 2 - 1) * m.computeJitter().toNanos());
        }
        if (m.spikeRate() > 0 && s.random.nextDouble() < m.spikeRate()) {
          compute += m.spike().toNanos();
        }
        fail = m.errorRate() > 0 && s.random.nextDouble() < m.errorRate();
      }
      sleep(Math.max(0, compute));
      if (fail) {
        s.failedNanos.addAndGet(clock.nanoTime() - arrived);
        s.rejected.incrementAndGet();
        SimError err = new SimError(Status.INTERNAL, 500, "simulated failure");
        if (batch != null) {
          batch.failure = err;
        }
        throw err;
      }
      long computed = clock.nanoTime() - start;
      s.executions.incrementAndGet();
      if (batch != null) {
        batch.computedNanos = computed;
        s.batchSizes.computeIfAbsent(batch.size, k -> new AtomicLong()).incrementAndGet();
      }
      s.served.incrementAndGet();
      s.queueNanos.addAndGet(queue);
      s.computeNanos.addAndGet(computed);
      s.successNanos.addAndGet(queue + computed);
      s.inferences.incrementAndGet();
      s.lastInference = clock.epochNanos() / 1_000_000;
      try {
        checkCancelled.run();
      } catch (SimError e) {
        s.computeOnCancelled.addAndGet(computed);
      }
      return new long[] {queue, computed};
    } finally {
      if (batch != null) {
        batch.done.countDown();
      }
      s.instances.release();
    }
  }

  /** Dynamic batching: executions per batch size of one model. */
  Map<Integer, Long> batchSizes(String model) {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    state(model).batchSizes.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /**
   * Waits {@code nanos} on the scheduler's clock: with the system clock a parking loop to the exact end
   * (a plain sleep rounds to milliseconds), with any other clock its own {@code sleepNanos}.
   */
  void sleep(long nanos) {
    if (!(clock instanceof InferenceClock.SystemClock)) {
      try {
        clock.sleepNanos(nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    long until = clock.nanoTime() + nanos;
    long left;
    while ((left = until - clock.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
    }
  }

  ModelInferResponse infer(ModelInferRequest r, long deadlineNanos, Runnable checkCancelled) {
    ModelState s = model(r.getModelName());
    SimulatedModel m = s.model;
    // Validate inputs against the signature
    for (int i = 0; i < r.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor in = r.getInputs(i);
      long size = KserveMessages.elementSize(in.getDatatype());
      if (size > 0 && i < r.getRawInputContentsCount()
          && r.getRawInputContents(i).size() != size * KserveMessages.elements(in.getShapeList())) {
        throw new SimError(Status.INVALID_ARGUMENT, 400, "unexpected size for input '" + in.getName() + "'");
      }
    }
    rememberTruth(r.getId(), execute(s, deadlineNanos, checkCancelled));
    ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName(m.name()).setModelVersion(m.version())
        .setId(r.getId());
    for (int i = 0; i < r.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor in = r.getInputs(i);
      b.addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("OUTPUT" + i)
          .setDatatype(in.getDatatype()).addAllShape(in.getShapeList()));
      ByteString raw = i < r.getRawInputContentsCount() ? r.getRawInputContents(i) : ByteString.EMPTY;
      b.addRawOutputContents(faults.output(raw));
    }
    return b.build();
  }

  /** Generates tokens for a decoupled LLM request, calling {@code sink} per response. */
  void generate(ModelState s, ModelInferRequest r, java.util.function.Consumer<ModelInferResponse> sink) {
    SimulatedModel m = s.model;
    String text = "";
    boolean stream = false;
    int maxTokens = m.tokens();
    boolean wantInputCount = false;
    boolean wantFinishReason = false;
    boolean wantOutputCount = false;
    for (int i = 0; i < r.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor in = r.getInputs(i);
      ByteString raw = i < r.getRawInputContentsCount() ? r.getRawInputContents(i) : ByteString.EMPTY;
      switch (in.getName()) {
        case "text_input" -> text = KserveMessages.firstString(raw, in);
        case "stream" -> stream = raw.size() > 0 ? raw.byteAt(0) != 0
            : in.getContents().getBoolContentsCount() > 0 && in.getContents().getBoolContents(0);
        case "sampling_parameters" -> {
          String json = KserveMessages.firstString(raw, in);
          if (!json.isEmpty()) {
            try {
              maxTokens = (int) Math.min(m.tokens(), Json.longValue(Json.parseObject(json, "sampling_parameters"),
                  "max_tokens", m.tokens()));
            } catch (RuntimeException e) {
              throw new SimError(Status.INVALID_ARGUMENT, 400, "sampling_parameters is not valid JSON");
            }
          }
        }
        case "return_num_input_tokens" -> wantInputCount = raw.size() > 0 && raw.byteAt(0) != 0;
        case "return_finish_reason" -> wantFinishReason = raw.size() > 0 && raw.byteAt(0) != 0;
        case "return_num_output_tokens" -> wantOutputCount = raw.size() > 0 && raw.byteAt(0) != 0;
        default -> { }
      }
    }
    int promptTokens = text.isBlank() ? 0 : text.trim().split("\\s+").length;
    StringBuilder all = new StringBuilder();
    boolean streamed = stream;
    boolean finish = wantFinishReason;
    boolean inputCount = wantInputCount;
    boolean outputCount = wantOutputCount;
    int n = maxTokens;
    tokens(s, n, (t, piece) -> {
      all.append(piece);
      boolean last = t == n - 1;
      if (streamed || last) {
        ModelInferResponse resp = KserveMessages.llmResponse(m, r.getId(), streamed ? piece : all.toString(),
            last && finish ? "length" : null, faults.finalFlag(last), inputCount ? promptTokens : -1,
            outputCount && last ? n : -1);
        for (int copy = 0; copy < (last ? faults.finalCopies() : 1); copy++) {
          sink.accept(resp);
        }
      }
    });
  }

  /** A token of a generation: its index and its text ({@code tok0}, {@code " tok1"}, ...). */
  @FunctionalInterface
  interface TokenSink {
    void token(int index, String piece) throws java.io.IOException;
  }

  /**
   * Generates {@code count} tokens at the model's pace (time to first token, then the gap between
   * tokens), handing each to {@code sink}, and counts the request served and its generation time as
   * compute. The one token loop of both frontends.
   */
  void tokens(ModelState s, int count, TokenSink sink) {
    SimulatedModel m = s.model;
    long arrived = clock.nanoTime();
    s.served.incrementAndGet();
    try {
      for (int t = 0; t < count; t++) {
        sleep(t == 0 ? m.timeToFirstToken().toNanos() : m.interTokenGap().toNanos());
        sink.token(t, (t == 0 ? "" : " ") + "tok" + t);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } finally {
      s.computeNanos.addAndGet(clock.nanoTime() - arrived);
    }
  }
}
