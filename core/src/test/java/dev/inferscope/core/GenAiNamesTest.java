package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * GenAI names that are not Inferscope's own words: the well-known operation name (Triton {@code generate} is a
 * {@code text_completion}) and a provider name that does not claim to be OpenAI for other OpenAI-compatible
 * servers (open-telemetry/semantic-conventions-genai {@code model/gen-ai/registry.yaml}).
 */
class GenAiNamesTest {
  private final TelemetryFixture fx = new TelemetryFixture();

  @AfterEach
  void close() {
    fx.close();
  }

  @Test
  void theGenAiOperationAndProviderNamesOnTheSpanAndTheGenAiMeters() {
    InferenceTelemetry t = fx.telemetry().logPolicy(LogPolicy.disabled()).build();
    Call call = t.start(CallDescriptor.builder(InferenceSystem.TRITON, "generate", "llm").genAi(true)
        .genAiOperation("text_completion").build());
    call.tokens(3, 5);
    call.end();
    Call other = t.start(CallDescriptor.builder(InferenceSystem.OPENAI_COMPATIBLE, "chat", "tiny").genAi(true).build());
    other.tokens(1, 1);
    other.end();

    SpanData generate = fx.finishedSpans().get(0);
    assertThat(generate.getName()).isEqualTo("generate llm"); // Inferscope's operation names the span
    assertThat(generate.getAttributes().get(AttributeKey.stringKey("gen_ai.operation.name"))).isEqualTo("text_completion");
    assertThat(fx.finishedSpans().get(1).getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name")))
        .isEqualTo("openai_compatible");
    Timer g = fx.meters.find("gen_ai.client.operation.duration").tag("gen_ai.request.model", "llm").timer();
    assertThat(g).isNotNull();
    assertThat(g.getId().getTag("gen_ai.operation.name")).isEqualTo("text_completion");
    assertThat(fx.meters.find("inference.client.duration").tag("model", "llm").timer().getId().getTag("operation"))
        .isEqualTo("generate");
    assertThat(fx.meters.find("gen_ai.client.token.usage").tag("gen_ai.request.model", "tiny").summary().getId()
        .getTag("gen_ai.provider.name")).isEqualTo("openai_compatible");
  }
}
