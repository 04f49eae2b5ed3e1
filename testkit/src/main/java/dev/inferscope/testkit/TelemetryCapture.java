package dev.inferscope.testkit;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.function.Consumer;

/**
 * Captures everything Inferscope records in a test: spans (in memory, exported as each ends), meters (a
 * {@link SimpleMeterRegistry}), with W3C trace-context propagation. Build clients with
 * {@link #telemetry()} and assert on {@link #spans()} and {@link #meters()}.
 */
public final class TelemetryCapture implements AutoCloseable {
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  /** Telemetry recording into this capture, logging every call. */
  public InferenceTelemetry telemetry() {
    return telemetry(b -> { });
  }

  /** Telemetry recording into this capture, after {@code customizer} had its say. */
  public InferenceTelemetry telemetry(Consumer<InferenceTelemetry.Builder> customizer) {
    InferenceTelemetry.Builder b = InferenceTelemetry.builder().openTelemetry(sdk).meterRegistry(meters)
        .logPolicy(LogPolicy.builder().sampleRate(1.0).build());
    customizer.accept(b);
    return b.build();
  }

  /** The OpenTelemetry SDK. */
  public OpenTelemetrySdk openTelemetry() {
    return sdk;
  }

  /** Spans ended so far. */
  public List<SpanData> spans() {
    return exporter.getFinishedSpanItems();
  }

  /** The meter registry. */
  public SimpleMeterRegistry meters() {
    return meters;
  }

  /** Forgets the spans captured so far. */
  public void reset() {
    exporter.reset();
  }

  /**
   * Everything recorded, as text: span names, attributes, status, events, and every meter's name and
   * tags — for "this string never appears" assertions.
   */
  public String everythingRecorded() {
    StringBuilder sb = new StringBuilder();
    for (SpanData s : spans()) {
      sb.append(s.getName()).append('\n').append(s.getAttributes()).append('\n')
          .append(s.getStatus()).append('\n');
      for (EventData e : s.getEvents()) {
        sb.append(e.getName()).append(e.getAttributes()).append('\n');
      }
    }
    for (Meter m : meters.getMeters()) {
      sb.append(m.getId().getName());
      for (Tag t : m.getId().getTags()) {
        sb.append(' ').append(t.getKey()).append('=').append(t.getValue());
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  @Override
  public void close() {
    sdk.close();
    meters.close();
  }
}
