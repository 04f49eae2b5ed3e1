package dev.inferscope.core;

/**
 * Told about every call when it ends, after its telemetry was emitted. Called on the thread that ended
 * the call: implementations must be fast, must not block and must not throw (an exception is caught and
 * dropped).
 */
@FunctionalInterface
public interface CallListener {
  /** One call has ended. */
  void onCallEnd(CallRecord record);
}
