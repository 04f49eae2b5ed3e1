package dev.inferscope.core.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PrometheusTextParserTest {

  static String resource(String name) throws IOException {
    try (InputStream in = PrometheusTextParserTest.class.getResourceAsStream("/prometheus/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void parsesTritonMetrics() throws IOException {
    PrometheusText t = PrometheusTextParser.parse(resource("triton.txt"));
    assertThat(t.badLines()).isZero();
    assertThat(t.family("nv_inference_request_success").type()).isEqualTo(MetricType.COUNTER);
    assertThat(t.value("nv_inference_request_success", "model", "bert").getAsDouble()).isEqualTo(77);
    assertThat(t.value("nv_inference_request_duration_us", "model", "resnet50").getAsDouble()).isEqualTo(2.4168e9);
    assertThat(t.value("nv_inference_pending_request_count", "model", "resnet50", "version", "1").getAsDouble())
        .isEqualTo(19);
    assertThat(t.value("nv_gpu_memory_total_bytes").getAsDouble()).isEqualTo(85899345920.0);
    assertThat(t.family("nv_gpu_utilization").help()).isEqualTo("GPU utilization rate [0.0 - 1.0)");
    assertThat(t.samples("nv_inference_request_failure").get(0).label("reason")).isEqualTo("REJECTED");
  }

  @Test
  void parsesVllmMetricsWithColonsAndHistograms() throws IOException {
    PrometheusText t = PrometheusTextParser.parse(resource("vllm.txt"));
    assertThat(t.badLines()).isZero();
    String model = "meta-llama/Llama-3.1-8B-Instruct";
    assertThat(t.value("vllm:num_requests_waiting", "model_name", model).getAsDouble()).isEqualTo(42);
    assertThat(t.value("vllm:kv_cache_usage_perc", "engine", "0").getAsDouble()).isEqualTo(0.9731);
    MetricFamily queue = t.family("vllm:request_queue_time_seconds");
    assertThat(queue.type()).isEqualTo(MetricType.HISTOGRAM);
    assertThat(queue.samples()).hasSize(6);
    assertThat(t.samples("vllm:request_queue_time_seconds_bucket", "le", "+Inf").get(0).value()).isEqualTo(50);
    assertThat(t.value("vllm:request_queue_time_seconds_sum").getAsDouble()).isEqualTo(41.25);
    assertThat(t.families()).doesNotContainKey("vllm:request_queue_time_seconds_bucket");
  }

  @Test
  void parsesDcgmExporterMetrics() throws IOException {
    PrometheusText t = PrometheusTextParser.parse(resource("dcgm.txt"));
    assertThat(t.badLines()).isZero();
    Sample util = t.samples("DCGM_FI_DEV_GPU_UTIL").get(0);
    assertThat(util.value()).isEqualTo(93);
    assertThat(util.labels()).containsEntry("UUID", "GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff")
        .containsEntry("modelName", "NVIDIA H100 80GB HBM3").containsEntry("Hostname", "node-7")
        .containsEntry("pod", "triton-0");
    assertThat(t.value("DCGM_FI_PROF_GR_ENGINE_ACTIVE").getAsDouble()).isCloseTo(0.912345, within(1e-12));
  }

  @Test
  void parsesOpenMetricsBasics() throws IOException {
    PrometheusText t = PrometheusTextParser.parse(resource("openmetrics.txt"));
    assertThat(t.badLines()).isZero();
    MetricFamily requests = t.family("inference_requests");
    assertThat(requests.type()).isEqualTo(MetricType.COUNTER);
    assertThat(requests.help()).isEqualTo("Requests served.");
    Sample total = t.samples("inference_requests_total").get(0);
    assertThat(total.label("path")).isEqualTo("/v2/models/a\"b\\c\nd/infer");
    assertThat(total.value()).isEqualTo(17);
    assertThat(total.timestampMillis()).isEqualTo(1_700_000_000_250L);
    assertThat(requests.samples()).hasSize(2); // _total and _created
    assertThat(t.family("build").type()).isEqualTo(MetricType.INFO);
    assertThat(t.family("build").samples()).hasSize(1);
    assertThat(t.family("latency").samples()).hasSize(4);
    assertThat(t.samples("ignored_after_eof")).isEmpty();
  }

  @Test
  void specialValuesAndTimestamps() {
    PrometheusText t = PrometheusTextParser.parse(
        "a NaN\nb +Inf\nc -Inf\nd 1.5e-3 1700000000000\ne{x=\"1\",} -0\r\nf{} 3\n");
    assertThat(t.badLines()).isZero();
    assertThat(t.value("a").getAsDouble()).isNaN();
    assertThat(t.value("b").getAsDouble()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(t.value("c").getAsDouble()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(t.samples("d").get(0).timestampMillis()).isEqualTo(1_700_000_000_000L);
    assertThat(t.value("d").getAsDouble()).isEqualTo(0.0015);
    assertThat(t.samples("e").get(0).labels()).containsEntry("x", "1");
    assertThat(t.value("f").getAsDouble()).isEqualTo(3);
  }

  @Test
  void badLinesAreCountedAndSkipped() {
    String text = String.join("\n",
        "good 1",
        "no_value",
        "bad{unterminated=\"x} 1",
        "bad2{x=\"1\" 2",
        "bad3 12abc",
        "bad4 1 notatimestamp",
        "bad5 1.0d",
        "9starts_with_digit 1",
        "dup{a=\"1\",a=\"2\"} 1",
        "# TYPE t nonsense",
        "# TYPE good2 gauge",
        "# TYPE good2 counter",
        "good2 5",
        "also_good{a=\"x\"} 2 # exemplar ignored");
    PrometheusText t = PrometheusTextParser.parse(text);
    assertThat(t.badLines()).isEqualTo(10);
    assertThat(t.badLineNumbers()).containsExactly(2, 3, 4, 5, 6, 7, 8, 9, 10, 12);
    assertThat(t.value("good").getAsDouble()).isEqualTo(1);
    assertThat(t.value("good2").getAsDouble()).isEqualTo(5);
    assertThat(t.family("good2").type()).isEqualTo(MetricType.GAUGE);
    assertThat(t.value("also_good").getAsDouble()).isEqualTo(2);
  }

  @Test
  void roundTripsThroughTheWriter() throws IOException {
    for (String name : new String[] {"triton.txt", "vllm.txt", "dcgm.txt"}) {
      PrometheusText first = PrometheusTextParser.parse(resource(name));
      String written = PrometheusTextWriter.write(first);
      PrometheusText second = PrometheusTextParser.parse(written);
      assertThat(second.badLines()).isZero();
      assertThat(second.families().keySet()).containsExactlyElementsOf(first.families().keySet());
      for (MetricFamily f : first.families().values()) {
        MetricFamily g = second.family(f.name());
        assertThat(g.type()).isEqualTo(f.type());
        assertThat(g.help()).isEqualTo(f.help());
        assertThat(g.samples()).isEqualTo(f.samples());
      }
    }
  }

  @Test
  void survivesJunkWithoutThrowing() {
    Random random = new Random(42);
    for (int round = 0; round < 2_000; round++) {
      int n = random.nextInt(400);
      StringBuilder sb = new StringBuilder(n);
      String alphabet = "ab_:{}=\",\\ \n\r\t#0123456789.eE+-InfNa\u0000\u00ff\ud83d";
      for (int i = 0; i < n; i++) {
        sb.append(random.nextInt(4) == 0 ? (char) random.nextInt(0x3000) : alphabet.charAt(random.nextInt(alphabet.length())));
      }
      PrometheusText t = PrometheusTextParser.parse(sb);
      assertThat(t.badLines()).isGreaterThanOrEqualTo(0);
    }
    PrometheusText huge = PrometheusTextParser.parse("x{a=\"" + "y".repeat(PrometheusTextParser.MAX_LINE_LENGTH) + "\"} 1\nok 2");
    assertThat(huge.badLines()).isEqualTo(1);
    assertThat(huge.value("ok").getAsDouble()).isEqualTo(2);
  }

  @Test
  void parsesAFiveThousandSeriesExposition() {
    StringBuilder sb = new StringBuilder();
    sb.append("# TYPE series gauge\n");
    for (int i = 0; i < 5_000; i++) {
      sb.append("series{model=\"m").append(i % 50).append("\",id=\"").append(i).append("\"} ").append(i).append('\n');
    }
    PrometheusText t = PrometheusTextParser.parse(sb);
    assertThat(t.sampleCount()).isEqualTo(5_000);
    assertThat(t.value("series", "id", "4999").getAsDouble()).isEqualTo(4999);
  }

  @Test
  void sumByAddsPerLabelValueKeepsOnlyMatchingLabelsAndSkipsNaNAndUnlabelled() {
    PrometheusText t = PrometheusTextParser.parse("""
        # TYPE waiting gauge
        waiting{engine="0",model_name="a",kind="x"} 3
        waiting{engine="1",model_name="a",kind="x"} 7
        waiting{engine="0",model_name="b",kind="x"} 2
        waiting{engine="1",model_name="b",kind="y"} 100
        waiting{engine="2",model_name="b",kind="x"} NaN
        waiting{engine="3",kind="x"} 50
        """);
    assertThat(t.sumBy("waiting", "model_name", "kind", "x")).containsExactly(
        java.util.Map.entry("a", 10.0), java.util.Map.entry("b", 2.0));
    assertThat(t.sumBy("waiting", "model_name")).containsEntry("b", 102.0).hasSize(2);
    assertThat(t.sumBy("absent", "model_name")).isEmpty();
  }
}
