package dev.inferscope.core;

import io.opentelemetry.api.common.AttributesBuilder;

/**
 * Told about every call when it ends. Two moments:
 *
 * <ol>
 *   <li>{@link #onEnding}: the call's {@link CallRecord} is complete and its span still open; attributes
 *       put into {@code spanAttributes} are set on the span (enrich);
 *   <li>{@link #onCallEnd}: the span, meters and log line have been emitted (observe: SLO trackers, the
 *       Spring actuator endpoint, tests).
 * </ol>
 *
 * <p>Called on the thread that ended the call: implementations must be fast, must not block and must not
 * throw (an exception is caught and dropped; the call's other telemetry is unaffected).
 */
@FunctionalInterface
public interface CallListener {
  /** Before the span ends: add attributes to it. The default adds none. */
  default void onEnding(CallRecord record, AttributesBuilder spanAttributes) {}

  /** After the call's telemetry was emitted. */
  void onCallEnd(CallRecord record);
}
