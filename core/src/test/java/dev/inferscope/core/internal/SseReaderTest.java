package dev.inferscope.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseReaderTest {

  private static List<SseReader.Event> all(String text, int bufferSize) throws IOException {
    SseReader r = new SseReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), 1 << 20, bufferSize);
    List<SseReader.Event> out = new ArrayList<>();
    SseReader.Event e;
    while ((e = r.next()) != null) {
      out.add(e);
    }
    return out;
  }

  @Test
  void handlesLfCrlfAndCrLineEndsAcrossBufferBoundaries() throws IOException {
    String text = "data: one\n\ndata: two\r\n\r\ndata: three\r\rdata: four\n\n";
    for (int size : new int[] {1, 2, 3, 7, 8192}) {
      assertThat(all(text, size)).extracting(SseReader.Event::data).containsExactly("one", "two", "three", "four");
    }
  }

  @Test
  void commentsKeepAlivesMultiLineDataAndFields() throws IOException {
    String text = ": keep-alive\n\n:another\ndata:first line\ndata: second line\nevent: delta\nid: 7\nretry: 100\n"
        + "unknown: x\n\ndata\n\ndata: [DONE]\n\n";
    List<SseReader.Event> events = all(text, 16);
    assertThat(events).hasSize(3);
    assertThat(events.get(0).data()).isEqualTo("first line\nsecond line");
    assertThat(events.get(0).event()).isEqualTo("delta");
    assertThat(events.get(0).id()).isEqualTo("7");
    assertThat(events.get(1).data()).isEmpty();
    assertThat(events.get(1).event()).isNull();
    assertThat(events.get(2).data()).isEqualTo("[DONE]");
  }

  @Test
  void anEventCutOffByTheEndOfTheStreamIsDropped() throws IOException {
    assertThat(all("data: complete\n\ndata: partial", 8)).extracting(SseReader.Event::data).containsExactly("complete");
    assertThat(all("", 8)).isEmpty();
  }

  @Test
  void utf8SplitAcrossReadsSurvives() throws IOException {
    assertThat(all("data: h\u00e9llo \u4e16\u754c \ud83d\ude00\n\n", 1).get(0).data()).isEqualTo("h\u00e9llo \u4e16\u754c \ud83d\ude00");
  }

  @Test
  void oversizedEventFails() {
    String big = "data: " + "x".repeat(5000) + "\n\n";
    SseReader r = new SseReader(new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)), 1024);
    assertThatThrownBy(r::next).isInstanceOf(SseReader.EventTooLargeException.class);
  }

  @Test
  void readErrorsPropagate() {
    InputStream failing = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("reset");
      }
    };
    assertThatThrownBy(() -> new SseReader(failing, 1024).next()).isInstanceOf(IOException.class);
  }
}
