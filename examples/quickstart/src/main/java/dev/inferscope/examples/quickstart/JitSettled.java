package dev.inferscope.examples.quickstart;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.BooleanSupplier;

/**
 * Says when the JIT has settled: asked about once a second, it answers true once the JVM's compilers
 * spent less than {@value #QUIET_PERCENT} % of the wall time compiling over {@value #QUIET_SECONDS}
 * consecutive asks, and not before {@code minAsks} asks. While the compilers are busy they take a core
 * of a small machine and every call waits for CPU, which the split would show as network and queue time
 * that a warm service does not have. A JVM that does not report compilation time settles at once.
 */
final class JitSettled implements BooleanSupplier {
  static final int QUIET_PERCENT = 10;
  static final int QUIET_SECONDS = 2;

  private final CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
  private final int minAsks;
  private int asks;
  private int quiet;
  private long lastCompileMillis = -1;
  private long lastNanos;

  JitSettled(int minAsks) {
    this.minAsks = minAsks;
  }

  @Override
  public boolean getAsBoolean() {
    asks++;
    if (compiler == null || !compiler.isCompilationTimeMonitoringSupported()) {
      return asks >= minAsks;
    }
    long now = System.nanoTime();
    long compileMillis = compiler.getTotalCompilationTime();
    if (lastCompileMillis >= 0) {
      double wallMillis = Math.max(1, (now - lastNanos) / 1e6);
      quiet = (compileMillis - lastCompileMillis) * 100 < QUIET_PERCENT * wallMillis ? quiet + 1 : 0;
    }
    lastCompileMillis = compileMillis;
    lastNanos = now;
    return asks >= minAsks && quiet >= QUIET_SECONDS;
  }
}
