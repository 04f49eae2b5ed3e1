package dev.inferscope.testkit.triton;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.util.Arrays;
import java.util.Objects;

/**
 * Every fault decision of the simulator in one place: the scheduler, both frontends and the LLM path ask
 * it what to do, instead of each testing the current {@link TritonSimulator.Fault} itself.
 */
final class FaultPlan {
  private volatile TritonSimulator.Fault fault = TritonSimulator.Fault.NONE;

  void set(TritonSimulator.Fault fault) {
    this.fault = Objects.requireNonNull(fault, "fault");
  }

  /** Before a request may queue: an outage answers UNAVAILABLE, a dropped connection answers nothing. */
  void beforeQueue() {
    switch (fault) {
      case UNAVAILABLE -> throw new SimError(Status.UNAVAILABLE, 503, "simulated outage");
      case DROP_CONNECTION -> throw new SimError(Status.UNAVAILABLE, -1, "connection dropped");
      default -> { }
    }
  }

  /** Whether requests may join a dynamic batch (not while a fault is on: each request meets it alone). */
  boolean batching() {
    return fault == TritonSimulator.Fault.NONE;
  }

  /** One output tensor's bytes as sent: one byte short under WRONG_OUTPUT_SIZE. */
  ByteString output(ByteString raw) {
    return fault == TritonSimulator.Fault.WRONG_OUTPUT_SIZE && raw.size() > 0 ? raw.substring(0, raw.size() - 1) : raw;
  }

  /** The {@code triton_final_response} flag of an LLM response: never set under FINAL_NEVER. */
  boolean finalFlag(boolean last) {
    return last && fault != TritonSimulator.Fault.FINAL_NEVER;
  }

  /** How many times the final LLM response is sent: twice under FINAL_TWICE. */
  int finalCopies() {
    return fault == TritonSimulator.Fault.FINAL_TWICE ? 2 : 1;
  }

  /** An HTTP infer answer's JSON header as sent: cut in half under MALFORMED_JSON. */
  byte[] inferJson(byte[] json) {
    return fault == TritonSimulator.Fault.MALFORMED_JSON ? Arrays.copyOf(json, json.length / 2) : json;
  }

  /** Whether an HTTP infer answer without binary outputs is still framed with a header length. */
  boolean frameWithoutBinary() {
    return fault == TritonSimulator.Fault.WRONG_HEADER_LENGTH;
  }

  /** A framed HTTP infer body as sent: the binary part cut short under TRUNCATED_BINARY. */
  byte[] inferBody(byte[] all, int binaryLength) {
    return fault == TritonSimulator.Fault.TRUNCATED_BINARY
        ? Arrays.copyOf(all, all.length - Math.max(1, binaryLength / 2)) : all;
  }

  /** The {@code Inference-Header-Content-Length} sent: past the body under WRONG_HEADER_LENGTH. */
  int headerLength(int jsonLength, int bodyLength) {
    return fault == TritonSimulator.Fault.WRONG_HEADER_LENGTH ? bodyLength + 10 : jsonLength;
  }
}
