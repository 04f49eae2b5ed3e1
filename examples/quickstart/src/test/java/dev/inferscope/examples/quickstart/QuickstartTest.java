package dev.inferscope.examples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuickstartTest {

  @Test
  void embeddedRunPrintsTheBreakdownWithTheBacklogVisibleAsServerQueue() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Config config = Config.from(Map.of("QUICKSTART_SECONDS", "4", "QUICKSTART_WARMUP_MAX", "3",
        "QUICKSTART_STREAM_WARMUP", "1"));
    assertThat(config.embedded()).isTrue();

    assertThat(Quickstart.run(config, out)).isZero();

    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("Compiling the stream path (1 s of back-to-back streams")
        .containsPattern("Warming up until the JIT settles \\(at most 3 s, not counted\\): \\d+ s")
        .contains("Where the time went, per model:")
        .contains("resnet50").contains("mobilenet").contains("llama-3-8b")
        .contains("server q").contains("ttft").contains("gap/tok");
    // the backlogged model: most of its time is queueing in the server
    String resnet = text.lines().filter(l -> l.startsWith("resnet50")).findFirst().orElseThrow();
    int percent = resnet.indexOf('%');
    double share = Double.parseDouble(resnet.substring(resnet.lastIndexOf(' ', percent - 2) + 1, percent - 1).trim());
    assertThat(share).as("server queue share of resnet50 in: %s", resnet).isGreaterThan(40);
    // the LLM row has a time to first token
    String llama = text.lines().filter(l -> l.startsWith("llama-3-8b")).findFirst().orElseThrow();
    assertThat(llama).contains("vllm");
    assertThat(text).doesNotContain("failures by type");
  }

  @Test
  void environmentIsValidated() {
    assertThatThrownBy(() -> Config.from(Map.of("QUICKSTART_SECONDS", "500")))
        .hasMessageContaining("QUICKSTART_SECONDS");
    assertThatThrownBy(() -> Config.from(Map.of("QUICKSTART_WARMUP_MAX", "1")))
        .hasMessageContaining("QUICKSTART_WARMUP_MAX");
    assertThat(Config.from(Map.of()).warmUpMaxSeconds()).isEqualTo(20);
    assertThat(Config.from(Map.of()).streamWarmUpSeconds()).isEqualTo(5);
    assertThat(Config.from(Map.of("QUICKSTART_STREAM_WARMUP", "0")).streamWarmUpSeconds()).isZero();
    assertThatThrownBy(() -> Config.from(Map.of("QUICKSTART_STREAM_WARMUP", "61")))
        .hasMessageContaining("QUICKSTART_STREAM_WARMUP");
    assertThatThrownBy(() -> Config.from(Map.of("VLLM_BASE_URL", "ftp://x"))).hasMessageContaining("VLLM_BASE_URL");
    Config c = Config.from(Map.of("VLLM_BASE_URL", "http://vllm:8000", "VLLM_API_KEY", "sk-canary",
        "TRITON_MODELS", "a, b"));
    assertThat(c.embedded()).isFalse();
    assertThat(c.tritonModelList()).containsExactly("a", "b");
    assertThat(c.toString()).doesNotContain("sk-canary");
  }
}
