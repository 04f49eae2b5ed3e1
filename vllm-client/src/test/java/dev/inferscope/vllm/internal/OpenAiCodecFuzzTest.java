package dev.inferscope.vllm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.http.HttpErrors;
import dev.inferscope.vllm.Choice;
import dev.inferscope.vllm.Completion;
import dev.inferscope.vllm.ModelInfo;
import dev.inferscope.vllm.StreamChunk;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the OpenAI-compatible response decoders of {@link OpenAiCodec}. The first input byte picks the
 * decoder and its flags (low 3 bits: 0 decodeCompletion, 1 decodeChunk, 2 decodeModels, 3 httpError,
 * 4 serverTiming, 5 parseRetryAfter; bit 3: chat; the high bits: chunks received before, or which HTTP
 * status); for httpError the text before the first LF is the Retry-After header. The rest is the body.
 * Invariants: the decoders throw nothing but {@link InferenceException} (an error object in a 200 body or
 * chunk included, which then says how many chunks came before it); what they return is complete (no null
 * text, choices or model ids); {@code httpError}, {@code serverTiming} and {@code parseRetryAfter} never
 * throw; httpError keeps the status; timings are -1 or more; a Retry-After is null or within 0..1 hour.
 *
 * <p>Seeds: {@code src/test/resources/dev/inferscope/vllm/internal/OpenAiCodecFuzzTestInputs/decode/}.
 */
class OpenAiCodecFuzzTest {
  private static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);
  private static final int[] STATUSES = {400, 401, 403, 404, 408, 413, 422, 429, 499, 500, 502, 503, 504, 200, 418, 599};

  @FuzzTest(maxDuration = "5m")
  void decode(byte[] input) {
    int op = input.length == 0 ? 0 : input[0] & 0xff;
    byte[] body = input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
    boolean chat = (op & 8) != 0;
    int high = op >>> 4;
    switch (op & 7) {
      case 0 -> expectOnlyInferenceException(() -> {
        Completion c = OpenAiCodec.decodeCompletion(body, chat);
        checkChoices(c.choices());
        assertThat(c.usage()).isNotNull();
        assertThat(c.text()).isNotNull();
      }, -1);
      case 1 -> expectOnlyInferenceException(() -> {
        String data = new String(body, StandardCharsets.UTF_8);
        StreamChunk fast = OpenAiCodec.fastChunk(data, chat);
        if (fast != null) {
          // the fast path may only answer where the generic one gives the very same chunk
          assertThat(fast).isEqualTo(OpenAiCodec.decodeChunkGeneric(data, chat, high));
        }
        StreamChunk c = OpenAiCodec.decodeChunk(data, chat, high);
        checkChoices(c.choices());
        assertThat(c.text()).isNotNull();
      }, high);
      case 2 -> expectOnlyInferenceException(() -> {
        List<ModelInfo> models = OpenAiCodec.decodeModels(body);
        assertThat(models).allSatisfy(m -> assertThat(m.id()).isNotNull());
      }, -1);
      case 3 -> {
        int lf = indexOf(body, (byte) '\n');
        String retryAfter = lf < 0 ? null : new String(body, 0, lf, StandardCharsets.UTF_8);
        byte[] errorBody = lf < 0 ? body : Arrays.copyOfRange(body, lf + 1, body.length);
        int status = STATUSES[high];
        InferenceException e = HttpErrors.fromResponse("the server", status, errorBody, retryAfter, HttpErrors.NONE);
        assertThat(e.errorType()).isEqualTo(HttpErrors.forStatus(status));
        assertThat(e.serverCode()).isEqualTo(Integer.toString(status));
        checkRetryAfter(e.retryAfter());
      }
      case 4 -> {
        OpenAiCodec.ServerTiming t = OpenAiCodec.serverTiming(body);
        assertThat(t.queueNanos()).isGreaterThanOrEqualTo(-1);
        assertThat(t.computeNanos()).isGreaterThanOrEqualTo(-1);
      }
      default -> checkRetryAfter(HttpErrors.retryAfter(new String(body, StandardCharsets.UTF_8)));
    }
  }

  private static void checkChoices(List<Choice> choices) {
    assertThat(choices).allSatisfy(c -> assertThat(c.text()).isNotNull());
  }

  private static void checkRetryAfter(Duration d) {
    if (d != null) {
      assertThat(d).isBetween(Duration.ZERO, MAX_RETRY_AFTER);
    }
  }

  /** Runs a decoder; an InferenceException is fine (when chunksBefore >= 0 it must say so), nothing else is. */
  private static void expectOnlyInferenceException(Runnable decoder, long chunksBefore) {
    try {
      decoder.run();
    } catch (InferenceException e) {
      assertThat(e.errorType()).isNotNull();
      if (chunksBefore > 0 && e.getMessage().contains("mid-stream")) {
        assertThat(e.chunksReceived()).isEqualTo(chunksBefore);
      }
    }
  }

  private static int indexOf(byte[] b, byte c) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Finding of this fuzzer (seed {@code finding-retry-after-date-far-future}): delta seconds were capped at
   * an hour, but a Retry-After HTTP date was not, so "Sun, 06 Nov 3988 08:48:37 GMT" asked for a wait of
   * about two thousand years. Both forms are now capped alike.
   */
  @Test
  void aRetryAfterDateFarAheadIsCappedLikeDeltaSeconds() {
    assertThat(HttpErrors.retryAfter("Sun, 06 Nov 3988 08:48:37 GMT")).isEqualTo(MAX_RETRY_AFTER);
    assertThat(HttpErrors.retryAfter("86400")).isEqualTo(MAX_RETRY_AFTER);
    assertThat(HttpErrors.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT")).isEqualTo(Duration.ZERO);
    assertThat(HttpErrors.fromResponse("the server", 503, new byte[0], "Sun, 06 Nov 3988 08:48:37 GMT", HttpErrors.NONE).retryAfter())
        .isEqualTo(MAX_RETRY_AFTER);
  }
}
