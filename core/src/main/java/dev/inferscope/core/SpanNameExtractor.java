package dev.inferscope.core;

/**
 * Names a call's span (default {@link CallDescriptor#spanName()}: {@code "{operation} {model}"}, as the
 * GenAI conventions ask). Register with {@link InferenceTelemetry.Builder#spanNameExtractor}. A name
 * that is {@code null}, empty or longer than 256 characters, or an exception, falls back to the default.
 * Keep names low-cardinality: backends group by them.
 */
@FunctionalInterface
public interface SpanNameExtractor {
  String spanName(CallDescriptor descriptor);
}
