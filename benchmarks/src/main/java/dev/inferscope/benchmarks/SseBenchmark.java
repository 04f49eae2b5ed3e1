package dev.inferscope.benchmarks;

import dev.inferscope.core.internal.SseReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Group 3: server-sent-event parsing throughput (events per second, one thread): the event reader alone,
 * and the reader with the chat-chunk decoder (plain text chunks, the common case the fast path serves).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SseBenchmark {
  static final int EVENTS = 10_000;
  private byte[] stream;

  @Setup
  public void setup() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < EVENTS; i++) {
      sb.append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"llama\",")
          .append("\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok").append(i)
          .append("\"},\"finish_reason\":null}]}\n\n");
    }
    stream = sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int parseEvents() throws IOException {
    SseReader r = new SseReader(new ByteArrayInputStream(stream), 1 << 20);
    int n = 0;
    while (r.next() != null) {
      n++;
    }
    return n;
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int parseAndDecodeChunks() throws IOException {
    SseReader r = new SseReader(new ByteArrayInputStream(stream), 1 << 20);
    int chars = 0;
    SseReader.Event e;
    while ((e = r.next()) != null) {
      chars += dev.inferscope.vllm.internal.OpenAiCodec.decodeChunk(e.data(), true, 0).text().length();
    }
    return chars;
  }
}
