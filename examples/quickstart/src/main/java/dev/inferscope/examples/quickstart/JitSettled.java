package dev.inferscope.examples.quickstart;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Says when the JIT has settled: asked about once a second, it answers true once the JVM's compilers
 * spent less than {@value #QUIET_PERCENT} % of the wall time compiling over {@value #QUIET_SECONDS}
 * consecutive asks, and not before {@code minAsks} asks. While the compilers are busy they take a core
 * of a small machine and every call waits for CPU, which the split would show as network and queue time
 * that a warm service does not have. A JVM that does not report compilation time settles at
 * {@code minAsks}.
 */
final class JitSettled implements BooleanSupplier {
  static final int QUIET_PERCENT = 10;
  static final int QUIET_SECONDS = 2;

  private final int minAsks;
  private final LongSupplier compileMillis; // total compilation time so far, or -1 when not reported
  private final LongSupplier nanoTime;
  private int asks;
  private int quiet;
  private long lastCompileMillis = -1;
  private long lastNanos;

  /** Watches this JVM's compilers. */
  JitSettled(int minAsks) {
    this(minAsks, jvmCompileMillis(), System::nanoTime);
  }

  /** Watches {@code compileMillis} against {@code nanoTime} (for tests). */
  JitSettled(int minAsks, LongSupplier compileMillis, LongSupplier nanoTime) {
    this.minAsks = minAsks;
    this.compileMillis = compileMillis;
    this.nanoTime = nanoTime;
  }

  private static LongSupplier jvmCompileMillis() {
    CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
    if (compiler == null || !compiler.isCompilationTimeMonitoringSupported()) {
      return () -> -1;
    }
    return compiler::getTotalCompilationTime;
  }

  @Override
  public boolean getAsBoolean() {
    asks++;
    long compiled = compileMillis.getAsLong();
    if (compiled < 0) {
      return asks >= minAsks;
    }
    long now = nanoTime.getAsLong();
    if (lastCompileMillis >= 0) {
      double wallMillis = Math.max(1, (now - lastNanos) / 1e6);
      quiet = (compiled - lastCompileMillis) * 100 < QUIET_PERCENT * wallMillis ? quiet + 1 : 0;
    }
    lastCompileMillis = compiled;
    lastNanos = now;
    return asks >= minAsks && quiet >= QUIET_SECONDS;
  }
}
