package dev.inferscope.benchmarks;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;

/** Full-telemetry fixtures shared by the benchmarks. */
final class Fixtures {
  private Fixtures() {}

  /** An OpenTelemetry SDK with a batch span processor and an exporter that drops everything. */
  static OpenTelemetrySdk sdk() {
    SpanExporter discard = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    return OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(BatchSpanProcessor.builder(discard).build()).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /** A Prometheus registry with percentile histograms on every timer and summary. */
  static PrometheusMeterRegistry prometheus() {
    PrometheusMeterRegistry r = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    r.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(io.micrometer.core.instrument.Meter.Id id,
          DistributionStatisticConfig config) {
        return DistributionStatisticConfig.builder().percentilesHistogram(true).build().merge(config);
      }
    });
    return r;
  }

  /** Inferscope with full telemetry: SDK spans, Prometheus histograms, JSON log at 10 % (slf4j-nop). */
  static InferenceTelemetry fullTelemetry(OpenTelemetrySdk sdk, MeterRegistry registry) {
    return InferenceTelemetry.builder().openTelemetry(sdk).meterRegistry(registry)
        .logPolicy(LogPolicy.defaults()).build();
  }
}
