package dev.inferscope.core;

import io.micrometer.core.instrument.Tags;

/**
 * Adds tags to the call duration meters ({@code inference.client.duration} and
 * {@code gen_ai.client.operation.duration}), from the ended call's {@link CallRecord}. Register with
 * {@link InferenceTelemetry.Builder#meterTagConvention}. Every tag value becomes series: return values
 * from a small, fixed set (a tier, a region), never an id. The per-model meters (phases, sizes, tokens,
 * in-flight) keep their fixed tags; rename or drop tags on any meter with a Micrometer
 * {@code MeterFilter} on the registry, as for any other library.
 *
 * <p>Tag keys that clash with the contract's own keys ({@code system}, {@code model}, {@code endpoint},
 * {@code operation}, {@code outcome}, {@code error.type}, {@code experiment}, {@code variant}) are
 * ignored. An exception is caught and the meters are recorded without the extra tags.
 */
@FunctionalInterface
public interface MeterTagConvention {
  Tags tags(CallRecord record);
}
