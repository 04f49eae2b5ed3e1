package dev.inferscope.benchmarks;

import dev.inferscope.testkit.vllm.VllmSimulator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The vLLM simulator in a child JVM, so that the benchmark process's CPU time is the client's alone.
 * The child serves until its standard input closes (so it never outlives the benchmark fork).
 */
final class SimulatorProcess implements AutoCloseable {
  private final Process process;
  private final int port;

  SimulatorProcess(int tokensPerResponse) {
    this(tokensPerResponse, 0);
  }

  /** A simulator whose streams send a token every {@code gapMicros} (0: as fast as it can write). */
  SimulatorProcess(int tokensPerResponse, int gapMicros) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      process = new ProcessBuilder(List.of(java, "-Xmx2g", "-cp", System.getProperty("java.class.path"),
          SimulatorProcess.class.getName(), Integer.toString(tokensPerResponse),
          Integer.toString(gapMicros)))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      if (line == null || !line.startsWith("PORT ")) {
        throw new IllegalStateException("simulator did not start: " + line);
      }
      port = Integer.parseInt(line.substring(5).trim());
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the simulator process", e);
    }
  }

  int port() {
    return port;
  }

  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException | InterruptedException e) {
      process.destroyForcibly();
    }
  }

  /** Child entry point: {@code SimulatorProcess <tokens per response> [<gap in microseconds>]}. */
  public static void main(String[] args) throws IOException {
    int tokens = Integer.parseInt(args[0]);
    Duration gap = Duration.ofNanos(args.length > 1 ? Long.parseLong(args[1]) * 1000 : 0);
    try (VllmSimulator s = VllmSimulator.builder().timeToFirstToken(Duration.ZERO).interTokenGap(gap)
        .tokensPerResponse(tokens).maxRunning(4096).maxWaiting(4096).start()) {
      System.out.println("PORT " + s.port());
      System.out.flush();
      while (System.in.read() >= 0) {
        // serve until the parent closes our input
      }
    }
  }
}
