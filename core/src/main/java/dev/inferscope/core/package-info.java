/**
 * Inferscope's telemetry engine: one {@link dev.inferscope.core.Call} per inference call turns the
 * measurements a client takes into an OpenTelemetry span, Micrometer meters, a sampled JSON log line and
 * a GPU snapshot. Clients measure; this package records.
 *
 * <p>Everything in this package is public API. Types in {@code dev.inferscope.core.internal} are not:
 * they may change without notice.
 */
@NullMarked
package dev.inferscope.core;

import org.jspecify.annotations.NullMarked;
