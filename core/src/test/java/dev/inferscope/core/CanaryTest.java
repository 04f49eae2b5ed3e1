package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A canary string in every free-text input a caller or a server can give must never reach span
 * attributes, events, status, metric tags or log lines — except where it is the model name.
 */
class CanaryTest {
  private static final String CANARY = "CANARY-7f3a9c-do-not-leak";
  private final TelemetryFixture fx = new TelemetryFixture();

  @AfterEach
  void close() {
    fx.close();
  }

  @Test
  void canaryFromCallerAndServerNeverReachesTelemetry() {
    InferenceTelemetry telemetry = fx.telemetry()
        .logPolicy(LogPolicy.builder().sampleRate(1.0).identityKey(new byte[32]).build()).build();
    try (TestLogs logs = TestLogs.root()) {
      // 1. identities and URLs with secrets
      CallDescriptor d = CallDescriptor.builder(InferenceSystem.VLLM, "chat", "llama")
          .genAi(true)
          .http("POST", "https://user:" + CANARY + "@host:8000/v1/chat/completions?api_key=" + CANARY + "#" + CANARY)
          .userId(CANARY)
          .clientAddress(CANARY)
          .build();
      Call ok = telemetry.start(d);
      ok.end();

      // 2. a server error message that echoes the prompt, through retries
      ResiliencePolicy policy = ResiliencePolicy.builder().maxAttempts(2)
          .backoff(Duration.ofMillis(1), 1, Duration.ofMillis(1)).circuitBreaker(null).build();
      Call failing = telemetry.start(d);
      InferenceException e = catchThrowableOfType(InferenceException.class, () -> failing.execute(policy, null,
          (n, dl) -> {
            throw InferenceException.builder(ErrorType.INVALID_ARGUMENT, "request rejected")
                .serverCode("400")
                .serverMessage("This model's maximum context length is 4096 tokens, your prompt '" + CANARY
                    + "' has 5000")
                .build();
          }));
      // the exception message is scrubbed too (quoted echo redacted)
      assertThat(e.getMessage()).doesNotContain(CANARY).contains("<redacted>");

      // 3. a foreign exception whose message holds the payload
      Call foreign = telemetry.start(d);
      foreign.end(new IllegalStateException("could not parse " + CANARY));

      // 4. unquoted echo in a server message is kept only on the exception, never in telemetry
      Call unquoted = telemetry.start(d);
      unquoted.end(InferenceException.builder(ErrorType.INTERNAL, "server failed")
          .serverMessage("failed on input " + CANARY).serverCode("500").build());

      List<SpanData> spans = fx.finishedSpans();
      assertThat(spans).hasSize(4);
      for (SpanData s : spans) {
        assertThat(s.getAttributes().toString()).doesNotContain(CANARY);
        assertThat(s.getStatus().getDescription()).doesNotContain(CANARY);
        assertThat(s.getName()).doesNotContain(CANARY);
        for (EventData ev : s.getEvents()) {
          assertThat(ev.getName() + ev.getAttributes()).doesNotContain(CANARY);
        }
      }
      for (Meter m : fx.meters.getMeters()) {
        for (Tag t : m.getId().getTags()) {
          assertThat(t.getValue()).doesNotContain(CANARY);
        }
      }
      assertThat(logs.messages()).hasSizeGreaterThanOrEqualTo(4);
      assertThat(logs.everything()).doesNotContain(CANARY);
      assertThat(logs.everything()).contains("\"user_hash\":\"");
    }
  }

  @Test
  void canaryAsModelNameIsAllowedWhereTheModelNameGoes() {
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.builder().sampleRate(1.0).build()).build();
    try (TestLogs logs = TestLogs.requests()) {
      telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", CANARY).build()).end();
      assertThat(fx.onlySpan().getName()).isEqualTo("infer " + CANARY);
      assertThat(logs.messages().get(0)).contains("\"model\":\"" + CANARY + "\"");
    }
  }

  @Test
  void hostileValuesAreEscapedAndCappedInTheLogLine() {
    InferenceTelemetry telemetry = fx.telemetry().logPolicy(LogPolicy.builder().sampleRate(1.0).build()).build();
    String hostile = "m\n\"}{\u0000\u001b[31m" + "x".repeat(10_000);
    try (TestLogs logs = TestLogs.requests()) {
      Call call = telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", hostile)
          .requestId("r\r\n" + "y".repeat(100_000)).build());
      call.confidence(Double.NaN);
      call.end();
      String line = logs.messages().get(0);
      assertThat(line).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u0000").doesNotContain("\u001b");
      assertThat(line.length()).isLessThan(2_000);
      assertThat(CallTest.parseFlat(line)).containsKey("model");
    }
  }
}
