package dev.inferscope.testkit.triton;

import dev.inferscope.core.InferenceClock;
import dev.inferscope.testkit.SimulatedModel;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A Triton-protocol server for tests and demos: the KServe v2 gRPC service (all 20 RPCs) on 127.0.0.1 and
 * an ephemeral port (and in-process under {@link #inProcessName()}), plus an HTTP server with the v2 REST
 * endpoints the client uses and Triton's {@code /metrics}.
 *
 * <p>Each model has instances (parallel executions), a FIFO queue with an optional size limit and queue
 * timeout, and a compute time. A request whose deadline expires, or which is cancelled, while it waits
 * spends no compute and is counted as cancelled. Statistics are kept as Triton keeps them (cumulative
 * counts and nanoseconds), alongside a {@linkplain #groundTruth(String) ground truth} for assertions.
 * Incoming gRPC metadata and HTTP headers (e.g. {@code traceparent}) are recorded.
 * {@link #close()} stops every thread.
 *
 * <p>A package of parts: the {@code Scheduler} (queues, instances, batching, compute, token pacing, all on
 * one {@link InferenceClock}, {@link Builder#clock}), the {@code GrpcFrontend} and {@code HttpFrontend}
 * over it (the HTTP one on the same small server as the vLLM simulator), the {@code MetricsPage}, and one
 * {@code FaultPlan} that every fault decision goes through.
 *
 * <p>Where each wire shape comes from: the gRPC service and messages are triton-protocol's copy of
 * triton-inference-server/common {@code protobuf/grpc_service.proto} and {@code model_config.proto}; the
 * decoupled LLM model's tensors (inputs text_input, stream, sampling_parameters, exclude_input_in_output,
 * return_num_input_tokens, return_num_output_tokens; outputs text_output, num_input_tokens,
 * num_output_tokens, the last two only when asked) follow triton-inference-server/vllm_backend
 * {@code src/model.py}; the final flag is the {@code triton_final_response} response parameter that
 * Triton's gRPC frontend sets on every streamed response (server {@code src/grpc/stream_infer_handler.cc}
 * @0195d17, {@code params["triton_final_response"].set_bool_param(is_complete)}); the HTTP endpoints
 * and {@code /metrics} cite their sources where they are written.
 */
public final class TritonSimulator implements AutoCloseable {
  /** What the simulator knows really happened to one model. */
  public record GroundTruth(long served, long queueNanos, long computeNanos, long cancelledInQueue,
      long computeNanosOnCancelled, long rejected, long timedOutInQueue) {
    /** Mean queue time of served requests, in nanoseconds. */
    public double meanQueueNanos() {
      return served == 0 ? 0 : (double) queueNanos / served;
    }

    /** Mean compute time of served requests, in nanoseconds. */
    public double meanComputeNanos() {
      return served == 0 ? 0 : (double) computeNanos / served;
    }
  }

  /**
   * What really happened to one served request, keyed by the request's {@code id} (gRPC
   * {@code ModelInferRequest.id}, HTTP body {@code "id"}): the time it waited for an instance (or for its
   * dynamic batch to start) and the time its execution took. Tests compare the client's estimates with it.
   */
  public record RequestTruth(String id, long queueNanos, long computeNanos) {}

  /** Faults the simulator can inject. */
  public enum Fault {
    NONE,
    /** Outputs whose byte size does not match their shape. */
    WRONG_OUTPUT_SIZE,
    /** HTTP: a body that is not JSON. */
    MALFORMED_JSON,
    /** HTTP: a binary body shorter than its header says. */
    TRUNCATED_BINARY,
    /** HTTP: an Inference-Header-Content-Length larger than the body. */
    WRONG_HEADER_LENGTH,
    /** Every request fails with UNAVAILABLE. */
    UNAVAILABLE,
    /** HTTP: the connection is closed without an answer; gRPC: the call ends with UNAVAILABLE. */
    DROP_CONNECTION,
    /** Decoupled models: the final response is sent twice. */
    FINAL_TWICE,
    /** Decoupled models: no response carries triton_final_response; the stream just completes. */
    FINAL_NEVER
  }

  private final FaultPlan faults = new FaultPlan();
  private final ServerState state = new ServerState();
  private final Scheduler scheduler;
  private final ExecutorService executor;
  private final GrpcFrontend grpc;
  private final HttpFrontend http;

  private TritonSimulator(Builder b) throws IOException {
    this.scheduler = new Scheduler(b.models, b.clock, faults);
    AtomicInteger ids = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "triton-simulator-" + ids.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.grpc = new GrpcFrontend(scheduler, state, executor, b.serverKeys, b.clientTrust);
    this.http = new HttpFrontend(scheduler, state, faults);
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The gRPC target, {@code 127.0.0.1:<port>}. */
  public String grpcTarget() {
    return "127.0.0.1:" + grpc.port();
  }

  /** The gRPC port. */
  public int grpcPort() {
    return grpc.port();
  }

  /** The in-process server name (for {@code InProcessChannelBuilder.forName}). */
  public String inProcessName() {
    return grpc.inProcessName();
  }

  /** The HTTP base URI (v2 REST API and {@code /metrics}). */
  public URI httpUri() {
    return http.uri();
  }

  /** Switches a fault on (or off with {@link Fault#NONE}). */
  public void fault(Fault fault) {
    faults.set(fault);
  }

  /** Sets the simulated GPU utilization reported on {@code /metrics}. */
  public void gpuUtilization(double ratio) {
    state.gpuUtilization = ratio;
  }

  /** The ground truth of one model. */
  public GroundTruth groundTruth(String model) {
    ModelState s = scheduler.state(model);
    return new GroundTruth(s.served.get(), s.queueNanos.get(), s.computeNanos.get(), s.cancelledInQueue.get(),
        s.computeOnCancelled.get(), s.rejected.get(), s.timedOut.get());
  }

  /** The true queue and compute time of the served request with this {@code id}, or {@code null}. */
  public @Nullable RequestTruth requestTruth(String id) {
    return scheduler.requestTruth(id);
  }

  /** Dynamic batching: executions per batch size of one model. */
  public Map<Integer, Long> batchSizes(String model) {
    return scheduler.batchSizes(model);
  }

  /**
   * Headers (gRPC metadata and HTTP headers, lower-case names) of the last {@value ServerState#HEADERS_KEPT}
   * requests, in arrival order.
   */
  public List<Map<String, String>> seenHeaders() {
    return new ArrayList<>(state.seenHeaders);
  }

  /** The {@code traceparent} of every request that carried one. */
  public List<String> traceparents() {
    List<String> out = new ArrayList<>();
    for (Map<String, String> h : state.seenHeaders) {
      if (h.get("traceparent") != null) {
        out.add(h.get("traceparent"));
      }
    }
    return out;
  }

  /** Instances of one model executing right now. */
  public int busy(String model) {
    ModelState s = scheduler.state(model);
    return s.model.instances() - s.instances.availablePermits();
  }

  /** Requests of one model waiting for an instance right now. */
  public int pending(String model) {
    return scheduler.state(model).waiting.get();
  }

  /**
   * Starts a graceful shutdown of the network gRPC server: HTTP/2 GOAWAY to every connected client, no
   * new connections or calls, while calls in flight run to their end. {@link #close()} still stops
   * everything else.
   */
  public void goAway() {
    grpc.goAway();
  }

  @Override
  public void close() {
    grpc.close();
    http.close();
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Builds a {@link TritonSimulator}. */
  public static final class Builder {
    private final List<SimulatedModel> models = new ArrayList<>();
    private javax.net.ssl.@Nullable KeyManagerFactory serverKeys;
    private javax.net.ssl.@Nullable TrustManagerFactory clientTrust;
    private InferenceClock clock = InferenceClock.system();

    private Builder() {}

    /** Serve gRPC over TLS with these keys (the HTTP server stays plain). */
    public Builder tls(javax.net.ssl.KeyManagerFactory serverKeys) {
      this.serverKeys = serverKeys;
      return this;
    }

    /** Require client certificates trusted by {@code clientTrust} (mutual TLS); needs {@link #tls}. */
    public Builder requireClientCertificates(javax.net.ssl.TrustManagerFactory clientTrust) {
      this.clientTrust = clientTrust;
      return this;
    }

    public Builder model(SimulatedModel model) {
      models.add(Objects.requireNonNull(model, "model"));
      return this;
    }

    /**
     * The clock the scheduler measures and waits on (default the system clock). A manual clock makes
     * queue and compute times deterministic: the scheduler then waits through the clock's
     * {@code sleepNanos}.
     */
    public Builder clock(InferenceClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Starts the gRPC, in-process and HTTP servers on 127.0.0.1. */
    public TritonSimulator start() {
      try {
        return new TritonSimulator(this);
      } catch (IOException e) {
        throw new IllegalStateException("could not start the Triton simulator on 127.0.0.1", e);
      }
    }
  }

  @Override
  public String toString() {
    List<String> names = new ArrayList<>();
    scheduler.models().forEach(s -> names.add(s.model.name()));
    return "TritonSimulator[grpc=" + grpcTarget() + ", http=" + httpUri() + ", models=" + names + "]";
  }
}
