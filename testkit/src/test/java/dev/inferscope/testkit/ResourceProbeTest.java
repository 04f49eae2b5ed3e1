package dev.inferscope.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ResourceProbeTest {

  @Test
  void reportsThreadsSocketsAndDirectMemoryLeftBehindAndNothingOnceTheyAreGone() throws Exception {
    new ServerSocket(0, 1, InetAddress.getLoopbackAddress()).close(); // the JVM's own first-use sockets
    ResourceProbe.Snapshot before = ResourceProbe.snapshot();
    CountDownLatch stop = new CountDownLatch(1);
    Thread worker = new Thread(() -> {
      try {
        stop.await();
      } catch (InterruptedException ignored) {
        // stop
      }
    }, "probe-test-worker-7");
    worker.start();
    ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    ByteBuffer direct = ByteBuffer.allocateDirect(8 << 20);

    assertThat(ResourceProbe.leaksSince(before, Duration.ofMillis(200), 1 << 20))
        .anySatisfy(l -> assertThat(l).contains("thread(s) named probe-test-worker-*"))
        .anySatisfy(l -> assertThat(l).contains("more open socket"))
        .anySatisfy(l -> assertThat(l).contains("bytes of direct memory"));

    stop.countDown();
    worker.join();
    socket.close();
    assertThat(direct.capacity()).isEqualTo(8 << 20);
    direct = null;
    assertThat(ResourceProbe.leaksSince(before, Duration.ofSeconds(10), 1 << 20)).isEmpty();
  }

  @Test
  void threadFamiliesDropTheTrailingCounter() {
    assertThat(ResourceProbe.family("vllm-simulator-12")).isEqualTo("vllm-simulator-");
    assertThat(ResourceProbe.family("main")).isEqualTo("main");
  }
}
