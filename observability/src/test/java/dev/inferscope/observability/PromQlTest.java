package dev.inferscope.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PromQlTest {

  @Test
  void findsMetricsAndSkipsFunctionsAggregationsLabelsAndNumbers() {
    assertThat(PromQl.metrics(
        "histogram_quantile(0.99, sum by (le, model) (rate(foo_bucket{model=~\"$model\",x=\"a}b\"}[5m]))) > 1e-3"))
        .containsExactly("foo_bucket");
    assertThat(PromQl.metrics("sum(rate(a_total[1h:5m] offset 1h30m)) without (instance) / on (model) group_left (x) b"))
        .containsExactly("a_total", "b");
  }

  @Test
  void findsColonNamesAndUppercaseNamesAndIgnoresKeywordsInAnyCase() {
    assertThat(PromQl.metrics("vllm:num_requests_waiting AND ON(model_name) DCGM_FI_DEV_GPU_UTIL > bool 0.5"))
        .containsExactly("vllm:num_requests_waiting", "DCGM_FI_DEV_GPU_UTIL");
    assertThat(PromQl.metrics("a unless ignoring(le) b or c")).containsExactly("a", "b", "c");
  }

  @Test
  void skipsStringArgumentsGrafanaVariablesAndComments() {
    assertThat(PromQl.metrics(
        "label_replace(rate(x_total[$__rate_interval]), \"model\", \"$1\", \"model_name\", \"(.+)\") # not_a_metric\n"
            + "* ${factor} + $__range_s + ${__interval:raw}"))
        .containsExactly("x_total");
  }

  @Test
  void nameMatchersCountAsMetrics() {
    assertThat(PromQl.metrics("{__name__=\"hidden_metric\", job=\"x\"}")).containsExactly("hidden_metric");
  }

  @Test
  void numbersDurationsAndHexAreNotMetrics() {
    assertThat(PromQl.metrics("x > 0x1F and y offset 5m and z > .5 and w > 1.5e+3 and v < Inf and u != NaN"))
        .containsExactly("x", "y", "z", "w", "v", "u");
  }

  @Test
  void variableQueries() {
    assertThat(PromQl.metricsOfVariableQuery("label_values(inference_client_active{system=\"triton\"}, model)"))
        .containsExactly("inference_client_active");
    assertThat(PromQl.metricsOfVariableQuery("label_values(model)")).isEmpty();
    assertThat(PromQl.metricsOfVariableQuery("query_result(topk(5, sum by (model) (m_total)))"))
        .containsExactly("m_total");
  }

  @Test
  void malformedExpressionsAreReported() {
    assertThatThrownBy(() -> PromQl.metrics("rate(x{a=\"b}[5m])")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PromQl.metrics("x{a=\"b\"")).isInstanceOf(IllegalArgumentException.class);
  }
}
