package dev.inferscope.core;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;

/** An OpenTelemetry SDK with an in-memory exporter and a simple meter registry. */
final class TelemetryFixture implements AutoCloseable {
  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  final SdkTracerProvider tracerProvider =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
  final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setTracerProvider(tracerProvider)
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  InferenceTelemetry.Builder telemetry() {
    return InferenceTelemetry.builder().openTelemetry(otel).meterRegistry(meters);
  }

  List<SpanData> finishedSpans() {
    return spans.getFinishedSpanItems();
  }

  SpanData onlySpan() {
    List<SpanData> all = finishedSpans();
    if (all.size() != 1) {
      throw new AssertionError("expected exactly one span, got " + all);
    }
    return all.get(0);
  }

  @Override
  public void close() {
    otel.close();
    meters.close();
  }
}
