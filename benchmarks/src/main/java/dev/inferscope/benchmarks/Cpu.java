package dev.inferscope.benchmarks;

import java.lang.management.ManagementFactory;

/** Process CPU time, all threads. */
final class Cpu {
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private Cpu() {}

  static long processNanos() {
    return OS.getProcessCpuTime();
  }
}
