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
 * A generate call on a decoupled LLM model over gRPC {@code ModelStreamInfer}: a blocking iterator over
 * its responses, with back-pressure (one response is requested from the transport per response
 * consumed). Ends its call exactly once: on the response marked {@code triton_final_response}, on an
 * error (an {@code error_message} in the stream, or a gRPC status when {@code triton_grpc_error} is on),
 * on the deadline, or on {@link #cancel()}, which cancels the RPC.
 */
public final class GenerateStream implements Iterator<GenerateChunk>, AutoCloseable {
  private static final Object END = new Object();

  /** How the stream asks for more responses and stops the transport. */
  interface Control {
    void request(int n);

    void cancel(String why);
  }

  static final Object END_OF_STREAM = END;

  private final Call call;
  private final @Nullable Deadline deadline;
  private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private volatile @Nullable Control control;
  private @Nullable GenerateChunk next;
  private boolean done;
  private final StringBuilder text = new StringBuilder();
  private final List<String> finishReasons = new ArrayList<>();
  private long inputTokens = -1;
  private long outputTokens = -1;

  GenerateStream(GrpcTransport transport, Call call, GenerateRequest request, @Nullable Deadline deadline) {
    this.call = call;
    this.deadline = deadline;
    ModelInferRequest r = encode(call, request);
    ClientResponseObserver<ModelInferRequest, ModelStreamInferResponse> observer = new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<ModelInferRequest> rs) {
        control = new Control() {
          @Override
          public void request(int n) {
            rs.request(n);
          }

          @Override
          public void cancel(String why) {
            rs.cancel(why, null);
          }
        };
        rs.disableAutoRequestWithInitial(1);
      }

      @Override
      public void onNext(ModelStreamInferResponse value) {
        events.add(value);
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

  /**
   * A stream fed by another transport (HTTP generate / generate_stream): {@code feeder} receives the
   * event queue (ModelStreamInferResponse, Throwable or {@link #END_OF_STREAM}) and returns the control.
   */
  GenerateStream(Call call, @Nullable Deadline deadline, java.util.function.Function<java.util.Queue<Object>, Control> feeder) {
    this.call = call;
    this.deadline = deadline;
    this.control = feeder.apply(events);
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
    Object e;
    try {
      long wait = deadline == null ? Long.MAX_VALUE : Math.max(0, deadline.remainingNanos());
      e = events.poll(wait, TimeUnit.NANOSECONDS);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      cancel();
      throw InferenceException.of(ErrorType.CANCELLED, "interrupted while streaming");
    }
    if (e == null) {
      throw fail(InferenceException.builder(ErrorType.DEADLINE_EXCEEDED, "deadline expired while streaming")
          .chunksReceived(call.chunks()).build(), true);
    }
    if (e == END) {
      throw fail(InferenceException.builder(ErrorType.PROTOCOL, "stream closed before the final response")
          .chunksReceived(call.chunks()).build(), false);
    }
    if (e instanceof Throwable t) {
      throw fail(TritonErrors.fromGrpc(t).withChunksReceived(call.chunks()).notRetryable(), false);
    }
    long arrival = call.clock().nanoTime();
    ModelStreamInferResponse resp = (ModelStreamInferResponse) e;
    if (!resp.getErrorMessage().isEmpty()) {
      throw fail(InferenceException.builder(ErrorType.INTERNAL, "the model reported an error in the stream")
          .serverMessage(resp.getErrorMessage()).chunksReceived(call.chunks()).retryable(false).build(), true);
    }
    call.onChunk(arrival);
    GenerateChunk chunk;
    try {
      chunk = decode(resp.getInferResponse());
    } catch (InferenceException bad) {
      throw fail(bad.withChunksReceived(call.chunks()), true);
    }
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
      done = true;
      record();
      call.end();
    } else {
      Control c = control;
      if (c != null) {
        c.request(1);
      }
    }
    return chunk;
  }

  private static GenerateChunk decode(ModelInferResponse r) {
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

  private InferenceException fail(InferenceException e, boolean cancelRpc) {
    done = true;
    if (cancelRpc) {
      Control c = control;
      if (c != null) {
        c.cancel("inferscope: stream failed");
      }
    }
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

  /** Cancels the RPC and ends the call as cancelled. Idempotent. */
  public void cancel() {
    if (done) {
      return;
    }
    done = true;
    Control c = control;
    if (c != null) {
      c.cancel("cancelled by the caller");
    }
    record();
    call.cancel();
  }

  @Override
  public void close() {
    cancel();
  }
}
