package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.InferenceTelemetry;

/**
 * Customises the {@link InferenceTelemetry} the starter builds (add listeners, change the clock, ...),
 * without replacing it. Beans of this type are applied in order, after the starter's own settings.
 */
@FunctionalInterface
public interface InferenceTelemetryCustomizer {
  /** Customises the builder. */
  void customize(InferenceTelemetry.Builder builder);
}
