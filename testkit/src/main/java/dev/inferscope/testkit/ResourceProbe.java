package dev.inferscope.testkit;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts what a test could leave behind: live threads, open sockets of this process and direct
 * (off-heap) buffer memory. Take a {@link #snapshot()} before the code under test, close what it
 * opened, then ask {@link #leaksSince(Snapshot, Duration, long)}: it waits (collecting garbage, since
 * on Java 17 an HTTP client's selector thread ends only when the client is collected) until every count
 * is back or the time is up, and describes what is still left over.
 *
 * <p>Open sockets are counted from {@code /proc/self/fd} (Linux); elsewhere that count is -1 and not
 * compared. Threads that the JVM or the test runner start on their own (common fork-join pool, cleaner,
 * attach listener, …) are not counted.
 */
public final class ResourceProbe {
  private static final String[] JVM_THREADS = {"ForkJoinPool.commonPool", "Common-Cleaner", "Attach Listener",
      "process reaper", "surefire", "Reference Handler", "Finalizer", "Signal Dispatcher", "Notification Thread",
      "JFR", "C1 ", "C2 ", "Sweeper", "Service Thread", "junit", "InnocuousThread", "idle-timeout-task",
      "Monitor Ctrl-Break", "Keep-Alive-Timer", "JMX", "RMI", "Cleaner"};

  private ResourceProbe() {}

  /** Counts at one moment. */
  public record Snapshot(Map<String, Integer> threads, int sockets, long directBytes) {
    /** Threads counted, all names. */
    public int threadCount() {
      return threads.values().stream().mapToInt(Integer::intValue).sum();
    }
  }

  /** Counts now. */
  public static Snapshot snapshot() {
    Map<String, Integer> threads = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!t.isAlive() || ignored(t.getName())) {
        continue;
      }
      threads.merge(family(t.getName()), 1, Integer::sum);
    }
    return new Snapshot(threads, sockets(), directBytes());
  }

  /**
   * Waits up to {@code settle} for the counts to come back to {@code before} (threads and sockets: not
   * more; direct memory: not more than {@code directSlackBytes} above) and returns what is still over,
   * empty when nothing leaked.
   */
  public static List<String> leaksSince(Snapshot before, Duration settle, long directSlackBytes) {
    long until = System.nanoTime() + settle.toNanos();
    List<String> leaks;
    while (true) {
      leaks = compare(before, snapshot(), directSlackBytes);
      if (leaks.isEmpty() || System.nanoTime() > until) {
        return leaks;
      }
      System.gc();
      LockSupport.parkNanos(50_000_000L);
    }
  }

  private static List<String> compare(Snapshot before, Snapshot now, long directSlackBytes) {
    List<String> leaks = new ArrayList<>();
    now.threads.forEach((family, n) -> {
      int was = before.threads.getOrDefault(family, 0);
      if (n > was) {
        leaks.add((n - was) + " more thread(s) named " + family + "*");
      }
    });
    if (before.sockets >= 0 && now.sockets > before.sockets) {
      leaks.add((now.sockets - before.sockets) + " more open socket(s)");
    }
    if (now.directBytes > before.directBytes + directSlackBytes) {
      leaks.add((now.directBytes - before.directBytes) + " more bytes of direct memory");
    }
    return leaks;
  }

  private static boolean ignored(String name) {
    for (String p : JVM_THREADS) {
      if (name.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  /** A thread's name without its trailing counter ("vllm-simulator-12" → "vllm-simulator-"). */
  static String family(String name) {
    int end = name.length();
    while (end > 0 && (Character.isDigit(name.charAt(end - 1)))) {
      end--;
    }
    return name.substring(0, end);
  }

  /** Open sockets of this process, or -1 where it cannot be told. */
  public static int sockets() {
    Path fds = Path.of("/proc/self/fd");
    if (!Files.isDirectory(fds)) {
      return -1;
    }
    int n = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(fds)) {
      for (Path fd : ds) {
        try {
          if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) {
            n++;
          }
        } catch (IOException e) {
          // closed while listing
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return n;
  }

  /** Direct buffer memory: the JDK's pool plus gRPC's shaded Netty, where it counts its own. */
  public static long directBytes() {
    long total = 0;
    for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (pool.getName().equals("direct")) {
        total += pool.getMemoryUsed();
      }
    }
    try {
      Class<?> pd = Class.forName("io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent");
      long netty = (long) pd.getMethod("usedDirectMemory").invoke(null);
      if (netty > 0) {
        total += netty;
      }
    } catch (ReflectiveOperationException | LinkageError e) {
      // Netty not present or not counting
    }
    return total;
  }
}
