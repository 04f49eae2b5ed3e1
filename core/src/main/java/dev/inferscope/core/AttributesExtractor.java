package dev.inferscope.core;

import io.opentelemetry.api.common.AttributesBuilder;

/**
 * Adds span attributes to every call, in the style of OpenTelemetry's instrumentation API: once when
 * the call starts, from its {@link CallDescriptor}, and once before the span ends, from the finished
 * {@link CallRecord}. Register with {@link InferenceTelemetry.Builder#addAttributesExtractor}.
 *
 * <p>Neither argument holds a payload (no prompt, completion, tensor or tool argument is ever in a
 * descriptor or a record), so an extractor cannot leak one unless its own code brings it in. Attributes
 * it sets go on the span only; meters take tags through {@link MeterTagConvention}. Keys in the
 * telemetry contract's namespaces may be overwritten, which is the user's choice to make.
 *
 * <p>Called on the thread that starts or ends the call: be fast, do not block. An exception is caught,
 * logged at debug, and the call's other telemetry is unaffected.
 */
public interface AttributesExtractor {
  /** Attributes known when the call starts. */
  default void onStart(AttributesBuilder attributes, CallDescriptor descriptor) {}

  /** Attributes known when the call has ended; the span is still open. */
  default void onEnd(AttributesBuilder attributes, CallRecord record) {}
}
