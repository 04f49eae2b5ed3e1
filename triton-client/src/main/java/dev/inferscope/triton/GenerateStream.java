package dev.inferscope.triton;

import com.google.protobuf.ByteString;
import dev.inferscope.core.Call;
import dev.inferscope.core.Deadline;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.triton.internal.TritonErrors;
import dev.inferscope.triton.protocol.InferParameter;
import dev.inferscope.triton.protocol.ModelInferRequest;
import dev.inferscope.triton.protocol.ModelInferResponse;
import dev.inferscope.triton.protocol.ModelStreamInferResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A generate call on an LLM model (Triton's vLLM or TensorRT-LLM backend): a blocking iterator over its
 * responses, read on the caller's thread with back-pressure — over gRPC {@code ModelStreamInfer} one
 * response is requested per response consumed; over HTTP ({@code generate}, {@code generate_stream})
 * the body is read only as the caller asks, so a paused reader pauses the connection. Ends its call
 * exactly once, with what the reader gets: on the final response (gRPC's {@code triton_final_response};
 * over HTTP the end of the body), on an error (an {@code error_message} or error event in the stream, a
 * gRPC status, a broken or oversized response), on the deadline, or on {@link #cancel()}, after which a
 * reader on any thread gets {@link ErrorType#CANCELLED}.
 */
public final class GenerateStream implements Iterator<GenerateChunk>, AutoCloseable {
  /**
   * Where the responses come from: one per transport. {@link #next} blocks until a response arrives
   * (within the deadline), returns null when the stream ended cleanly without a final marker (an HTTP
   * body that closed), and throws the classified {@link InferenceException} otherwise.
   */
  interface Source {
    @Nullable GenerateChunk next() throws InterruptedException;

    void cancel(String why);

    /** The final response has been read: release what is still held (an HTTP body's connection). */
    default void finished() {}

    /**
     * When the response {@link #next()} returned last (or the end it met) reached the client, on the
     * call's clock; -1 when unknown. The time from there to the reader taking it is the client's.
     */
    default long arrivalNanos() {
      return -1;
    }
  }

  private final Call call;
  private final Source source;
  private @Nullable GenerateChunk next;
  private volatile boolean done;
  private volatile @Nullable InferenceException failure;
  private final StringBuilder text = new StringBuilder();
  private final List<String> finishReasons = new ArrayList<>();
  private long inputTokens = -1;
  private long outputTokens = -1;

  GenerateStream(Call call, Source source) {
    this.call = call;
    this.source = source;
  }

  /** The gRPC source: {@code ModelStreamInfer} with one request and manual flow control. */
  static Source grpc(GrpcTransport transport, Call call, GenerateRequest request, @Nullable Deadline deadline) {
    return new GrpcSource(transport, call, request, deadline);
  }

  private static final class GrpcSource implements Source {
    private static final Object END = new Object();
    private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private final @Nullable Deadline deadline;
    private final Call call;
    private long arrivedNanos = -1;

    /** A response as the gRPC listener handed it over, with when (on the call's clock). */
    private record Arrived(ModelStreamInferResponse response, long nanos) {}
    private volatile @Nullable ClientCallStreamObserver<ModelInferRequest> rpc;
    private boolean first = true;

    GrpcSource(GrpcTransport transport, Call call, GenerateRequest request, @Nullable Deadline deadline) {
      this.deadline = deadline;
      this.call = call;
      ModelInferRequest r = encode(call, request);
      ClientResponseObserver<ModelInferRequest, ModelStreamInferResponse> observer = new ClientResponseObserver<>() {
        @Override
        public void beforeStart(ClientCallStreamObserver<ModelInferRequest> rs) {
          rpc = rs;
          rs.disableAutoRequestWithInitial(1);
        }

        @Override
        public void onNext(ModelStreamInferResponse value) {
          events.add(new Arrived(value, call.clock().nanoTime()));
        }

        @Override
        public void onError(Throwable t) {
          events.add(t);
        }

        @Override
        public void onCompleted() {
          events.add(END);
        }
      };
      io.grpc.stub.StreamObserver<ModelInferRequest> out =
          transport.prepare(transport.asyncStub(), call, deadline).modelStreamInfer(observer);
      out.onNext(r);
      out.onCompleted();
    }

    @Override
    public @Nullable GenerateChunk next() throws InterruptedException {
      ClientCallStreamObserver<ModelInferRequest> rs = rpc;
      if (!first && rs != null) {
        rs.request(1); // the previous response was consumed: ask for one more
      }
      first = false;
      long wait = deadline == null ? Long.MAX_VALUE : Math.max(0, deadline.remainingNanos());
      Object e = events.poll(wait, TimeUnit.NANOSECONDS);
      if (e == null) {
        throw InferenceException.of(ErrorType.DEADLINE_EXCEEDED, "deadline expired while streaming");
      }
      if (e == END) {
        throw InferenceException.of(ErrorType.PROTOCOL, "stream closed before the final response");
      }
      if (e instanceof Throwable t) {
        throw TritonErrors.fromGrpc(t).notRetryable();
      }
      Arrived arrived = (Arrived) e;
      arrivedNanos = arrived.nanos();
      ModelStreamInferResponse resp = arrived.response();
      if (!resp.getErrorMessage().isEmpty()) {
        throw modelError(resp.getErrorMessage());
      }
      return decode(resp.getInferResponse());
    }

    @Override
    public long arrivalNanos() {
      return arrivedNanos;
    }

    @Override
    public void cancel(String why) {
      ClientCallStreamObserver<ModelInferRequest> rs = rpc;
      if (rs != null) {
        rs.cancel(why, null);
      }
    }
  }

  /** An error the model (backend) reported inside the stream. */
  static InferenceException modelError(String serverMessage) {
    return InferenceException.builder(ErrorType.INTERNAL, "the model reported an error in the stream")
        .serverMessage(serverMessage).retryable(false).build();
  }

  static ModelInferRequest encode(Call call, GenerateRequest request) {
    long t0 = call.clock().nanoTime();
    ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(request.model());
    if (call.descriptor().requestId() != null) {
      b.setId(call.descriptor().requestId());
    }
    bytesInput(b, "text_input", request.prompt());
    boolInput(b, "stream", request.stream());
    bytesInput(b, "sampling_parameters", request.samplingJson());
    boolInput(b, "exclude_input_in_output", request.excludeInput());
    // vLLM backend's optional outputs (triton-inference-server/vllm_backend src/model.py)
    boolInput(b, "return_finish_reason", true);
    boolInput(b, "return_num_input_tokens", true);
    boolInput(b, "return_num_output_tokens", true);
    ModelInferRequest r = b.build();
    call.recordPhase(dev.inferscope.core.Phase.SERIALIZE, call.clock().nanoTime() - t0);
    call.requestBytes(r.getSerializedSize());
    return r;
  }

  private static void bytesInput(ModelInferRequest.Builder b, String name, String value) {
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate(4 + v.length).order(ByteOrder.LITTLE_ENDIAN);
    bb.putInt(v.length).put(v).flip();
    b.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype("BYTES").addShape(1));
    b.addRawInputContents(ByteString.copyFrom(bb));
  }

  private static void boolInput(ModelInferRequest.Builder b, String name, boolean value) {
    b.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype("BOOL").addShape(1));
    b.addRawInputContents(ByteString.copyFrom(new byte[] {(byte) (value ? 1 : 0)}));
  }

  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (done) {
      InferenceException f = failure;
      if (f != null) {
        throw f;
      }
      return false;
    }
    next = read();
    return next != null;
  }

  @Override
  public GenerateChunk next() {
    if (!hasNext()) {
      throw new NoSuchElementException("stream has ended");
    }
    GenerateChunk c = next;
    next = null;
    return c;
  }

  private @Nullable GenerateChunk read() {
    GenerateChunk chunk;
    try {
      chunk = source.next();
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      cancel();
      throw failureOr(InferenceException.of(ErrorType.CANCELLED, "interrupted while streaming"));
    } catch (InferenceException e) {
      throw fail(e.withChunksReceived(call.chunks()));
    } catch (RuntimeException e) {
      throw fail(InferenceException.builder(ErrorType.PROTOCOL, "could not read a generate response").cause(e)
          .chunksReceived(call.chunks()).retryable(false).build());
    }
    if (chunk == null) { // the body ended after the last response (HTTP)
      endOk();
      return null;
    }
    call.onChunk();
    text.append(chunk.text());
    if (chunk.inputTokens() >= 0) {
      inputTokens = chunk.inputTokens();
    }
    if (chunk.outputTokens() >= 0) {
      outputTokens = chunk.outputTokens();
    }
    if (chunk.finishReason() != null) {
      finishReasons.add(chunk.finishReason());
    }
    if (chunk.last()) {
      endOk();
      source.finished();
    }
    return chunk;
  }

  /** Ends the call as a success, unless a cancel from another thread came first (then the reader gets that). */
  private void endOk() {
    synchronized (this) {
      if (done) {
        throw failureOr(InferenceException.of(ErrorType.CANCELLED, "stream cancelled"));
      }
      done = true;
    }
    call.endTaken(source.arrivalNanos());
    record();
    call.end();
  }

  private InferenceException failureOr(InferenceException e) {
    InferenceException f = failure;
    return f != null ? f : e;
  }

  static GenerateChunk decode(ModelInferResponse r) {
    String text = "";
    String finish = null;
    long in = -1;
    long out = -1;
    for (int i = 0; i < r.getOutputsCount(); i++) {
      if (i >= r.getRawOutputContentsCount()) {
        throw InferenceException.of(ErrorType.PROTOCOL, "output without raw contents");
      }
      String name = r.getOutputs(i).getName();
      ByteBuffer raw = r.getRawOutputContents(i).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      switch (name) {
        case "text_output" -> text = firstString(raw);
        case "finish_reason" -> finish = firstString(raw);
        case "num_input_tokens" -> in = firstInt(raw);
        case "num_output_tokens" -> out = firstInt(raw);
        default -> { }
      }
    }
    InferParameter fin = r.getParametersMap().get("triton_final_response");
    boolean last = fin != null && fin.getBoolParam();
    return new GenerateChunk(text, finish, last, in, out);
  }

  private static String firstString(ByteBuffer raw) {
    if (raw.remaining() < 4) {
      throw InferenceException.of(ErrorType.PROTOCOL, "BYTES output shorter than its length prefix");
    }
    int len = raw.getInt();
    if (len < 0 || len > raw.remaining()) {
      throw InferenceException.of(ErrorType.PROTOCOL, "BYTES output truncated");
    }
    byte[] b = new byte[len];
    raw.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static long firstInt(ByteBuffer raw) {
    if (raw.remaining() == 4) {
      return raw.getInt();
    }
    if (raw.remaining() == 8) {
      return raw.getLong();
    }
    throw InferenceException.of(ErrorType.PROTOCOL, "token count output has " + raw.remaining() + " bytes");
  }

  private void record() {
    call.tokens(inputTokens, outputTokens);
    if (!finishReasons.isEmpty()) {
      call.finishReasons(finishReasons);
    }
  }

  private InferenceException fail(InferenceException e) {
    synchronized (this) {
      InferenceException first = failure;
      if (first != null) {
        return first; // cancelled or failed already: the reader gets what the call ended with
      }
      failure = e;
      done = true;
    }
    source.cancel("inferscope: stream failed");
    record();
    call.end(e);
    return e;
  }

  /** The whole generated text so far (after the stream ended: all of it). */
  public String collectText() {
    while (hasNext()) {
      next();
    }
    return text.toString();
  }

  /**
   * Cancels the RPC (or closes the HTTP connection) and ends the call as cancelled. Idempotent. A reader
   * on any thread then gets {@link ErrorType#CANCELLED}.
   */
  public void cancel() {
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
      failure = InferenceException.builder(ErrorType.CANCELLED, "stream cancelled").chunksReceived(call.chunks())
          .retryable(false).build();
    }
    source.cancel("cancelled by the caller");
    record();
    call.cancel();
  }

  @Override
  public void close() {
    cancel();
  }
}
