package dev.inferscope.triton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes Triton's HTTP infer-response decoder {@link HttpTransport#decode} (JSON header, then binary
 * tensor data, split by the {@code Inference-Header-Content-Length} header). Input: the header value up to
 * the first LF (an empty first line: no header), then the body. Invariants: the only exception is an
 * {@link InferenceException} of type {@link ErrorType#PROTOCOL} (no unchecked exception, no
 * OutOfMemoryError from a declared length); a decoded result has outputs whose data size is exactly what
 * their shape and datatype need (checked here in exact arithmetic) and whose accessors work.
 *
 * <p>Seeds: {@code src/test/resources/dev/inferscope/triton/HttpTransportDecodeFuzzTestInputs/decode/}.
 */
class HttpTransportDecodeFuzzTest {
  private static final InferenceTelemetry TELEMETRY = InferenceTelemetry.noop();

  @FuzzTest(maxDuration = "5m")
  void decode(byte[] input) {
    int lf = 0;
    while (lf < input.length && input[lf] != '\n') {
      lf++;
    }
    String header = lf == 0 ? null : new String(input, 0, lf, StandardCharsets.ISO_8859_1);
    byte[] body = lf >= input.length ? new byte[0] : Arrays.copyOfRange(input, lf + 1, input.length);

    Call call = TELEMETRY.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "fuzz").build());
    InferResult result;
    try {
      result = KserveHttpCodec.decodeInfer(body, header);
    } catch (InferenceException e) {
      assertThat(e.errorType()).as("error type of: %s", e.getMessage()).isEqualTo(ErrorType.PROTOCOL);
      return;
    } finally {
      call.end();
    }
    for (Tensor t : result.outputs()) {
      BigInteger elements = BigInteger.ONE;
      for (long d : t.shape()) {
        assertThat(d).as("dimension of %s", t.name()).isNotNegative();
        elements = elements.multiply(BigInteger.valueOf(d));
      }
      if (t.datatype() == Datatype.BYTES) {
        assertThat(BigInteger.valueOf(t.asStrings().size())).as("BYTES elements of %s", t.name())
            .isEqualTo(elements);
      } else {
        assertThat(BigInteger.valueOf(t.byteSize())).as("bytes of %s %s", t.datatype(), Arrays.toString(t.shape()))
            .isEqualTo(elements.multiply(BigInteger.valueOf(t.datatype().size())));
      }
      assertThat(t.toString()).isNotNull();
      assertThat(t.shapeList()).hasSize(t.shape().length);
    }
  }

  private static InferResult decode(String json, String header) {
    Call call = TELEMETRY.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "fuzz").build());
    try {
      return KserveHttpCodec.decodeInfer(json.getBytes(StandardCharsets.UTF_8), header);
    } finally {
      call.end();
    }
  }

  /**
   * Finding of this fuzzer (seed {@code finding-shape-overflows-long}): a shape whose element count
   * overflows a long threw ArithmeticException out of the decoder, and one whose byte size wrapped around
   * to the data's size (2^61 INT64 elements, 0 bytes) was accepted.
   */
  @Test
  void aShapeTooLargeForALongIsAProtocolError() {
    assertThatThrownBy(() -> decode(
        "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"o\",\"datatype\":\"INT32\","
            + "\"shape\":[4611686018427387904,4],\"data\":[]}]}", null))
        .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL));
    assertThatThrownBy(() -> decode(
        "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"o\",\"datatype\":\"INT64\","
            + "\"shape\":[2305843009213693952],\"data\":[]}]}", null))
        .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL));
    // A zero dimension still means no elements, however large the others are.
    assertThat(decode("{\"model_name\":\"m\",\"outputs\":[{\"name\":\"o\",\"datatype\":\"INT32\","
        + "\"shape\":[4611686018427387904,4,0],\"data\":[]}]}", null).outputs()).hasSize(1);
  }

  /**
   * Found while writing this fuzzer, by reading the decoder (seed {@code finding-binary-data-size-overflows};
   * the fuzzer itself had not reached it): a {@code binary_data_size} near Long.MAX_VALUE made
   * {@code offset + size} overflow past the bounds check, and the decoder threw IndexOutOfBoundsException.
   */
  @Test
  void aBinaryDataSizeThatOverflowsIsAProtocolError() {
    byte[] json = ("{\"model_name\":\"m\",\"outputs\":[{\"name\":\"o\",\"datatype\":\"UINT8\",\"shape\":[4],"
        + "\"parameters\":{\"binary_data_size\":9223372036854775807}}]}").getBytes(StandardCharsets.UTF_8);
    byte[] body = Arrays.copyOf(json, json.length + 4);
    Call call = TELEMETRY.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "fuzz").build());
    assertThatThrownBy(() -> KserveHttpCodec.decodeInfer(body, Integer.toString(json.length)))
        .isInstanceOfSatisfying(InferenceException.class, e -> assertThat(e.errorType()).isEqualTo(ErrorType.PROTOCOL));
    call.end();
  }

  /**
   * Found while writing this fuzzer, by reading the code (seed {@code finding-parameter-null}): a response
   * parameter whose value is JSON null made InferResult's Map.copyOf throw NullPointerException. A null
   * parameter now reads as an absent one.
   */
  @Test
  void aNullResponseParameterIsDropped() {
    InferResult r = decode("{\"model_name\":\"m\",\"outputs\":[],\"parameters\":{\"a\":null,\"b\":true}}", null);
    assertThat(r.parameters()).containsOnlyKeys("b");
  }
}
