package dev.inferscope.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes {@link SseReader} with arbitrary bytes delivered in arbitrary chunks through buffers of arbitrary
 * size. Invariants: the only exception is {@link SseReader.EventTooLargeException}; reading ends (at most
 * one event per input byte, then {@code null}); the events, and where the cap fails, are exactly those of a
 * plain reference reading of the same bytes, whatever the chunking and the buffer size.
 *
 * <p>The first four bytes choose the cap (byte 0 below 128: 1 MiB, else {@code (b & 0x7f) * 8}), the buffer
 * size and two chunk sizes; the rest is the stream.
 * Seeds: {@code src/test/resources/dev/inferscope/core/internal/SseReaderFuzzTestInputs/events/}.
 */
class SseReaderFuzzTest {

  @FuzzTest(maxDuration = "5m")
  void events(byte[] input) {
    // Four header bytes choose the cap, the buffer size and two chunk sizes; the rest is the stream.
    int h0 = header(input, 0);
    int maxEventBytes = h0 < 128 ? 1 << 20 : (h0 & 0x7f) * 8;
    int bufferSize = 1 + (header(input, 1) & 63);
    int[] chunks = {1 + (header(input, 2) & 31), 1 + (header(input, 3) & 31)};
    byte[] stream = input.length <= 4 ? new byte[0] : Arrays.copyOfRange(input, 4, input.length);

    Outcome expected = reference(stream, maxEventBytes);
    Outcome actual = read(new ChunkedStream(stream, chunks), maxEventBytes, bufferSize, stream.length);
    assertThat(actual).as("cap %d, buffer %d, chunks %s", maxEventBytes, bufferSize, Arrays.toString(chunks))
        .isEqualTo(expected);
  }

  private static int header(byte[] input, int i) {
    return i < input.length ? input[i] & 0xff : 0;
  }

  /**
   * Finding of this fuzzer (seeds {@code over-small-cap-data}, {@code zero-cap}): a cap below 256 bytes was
   * not enforced, because the line and data arrays started at 256 bytes and the cap was checked only when
   * an array was full.
   */
  @Test
  void aCapBelow256BytesIsEnforced() throws IOException {
    byte[] event = "data: 0123456789\ndata: 0123456789\n\n".getBytes(StandardCharsets.UTF_8);
    SseReader r = new SseReader(new ByteArrayInputStream(event), 16);
    assertThatThrownBy(r::next).isInstanceOf(SseReader.EventTooLargeException.class);
    SseReader zero = new SseReader(new ByteArrayInputStream("data: x\n\n".getBytes(StandardCharsets.UTF_8)), 0);
    assertThatThrownBy(zero::next).isInstanceOf(SseReader.EventTooLargeException.class);
    SseReader fits = new SseReader(new ByteArrayInputStream("data:0123456789\n\n".getBytes(StandardCharsets.UTF_8)), 15);
    assertThat(fits.next().data()).isEqualTo("0123456789");
  }

  /** What reading a stream gives: the events before the end, and whether the cap failed it. */
  record Outcome(List<SseReader.Event> events, boolean tooLarge) {}

  private static Outcome read(InputStream s, int maxEventBytes, int bufferSize, int inputLength) {
    SseReader reader = new SseReader(s, maxEventBytes, bufferSize);
    List<SseReader.Event> events = new ArrayList<>();
    try {
      SseReader.Event e;
      while ((e = reader.next()) != null) {
        events.add(e);
        if (events.size() > inputLength) {
          fail("more events than input bytes: the reader does not end");
        }
      }
      // After the end, the reader stays at the end.
      assertThat(reader.next()).isNull();
      return new Outcome(events, false);
    } catch (SseReader.EventTooLargeException tooLarge) {
      return new Outcome(events, true);
    } catch (IOException other) {
      throw new AssertionError("an IOException other than EventTooLargeException", other);
    }
  }

  /**
   * A plain reading of the SSE rules the reader documents: lines end at LF, CRLF or CR; a line or an event's
   * data longer than the cap fails; a blank line dispatches an event when a data field was seen; a partial
   * last line is dropped.
   */
  static Outcome reference(byte[] b, int max) {
    List<SseReader.Event> events = new ArrayList<>();
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    boolean hasData = false;
    String type = null;
    String id = null;
    int start = 0;
    int i = 0;
    while (true) {
      while (i < b.length && b[i] != '\n' && b[i] != '\r') {
        i++;
      }
      if (i - start > max) {
        return new Outcome(events, true);
      }
      if (i == b.length) {
        return new Outcome(events, false); // partial (or no) last line: dropped
      }
      byte[] line = Arrays.copyOfRange(b, start, i);
      i += b[i] == '\r' && i + 1 < b.length && b[i + 1] == '\n' ? 2 : 1;
      start = i;
      if (line.length == 0) {
        if (hasData) {
          events.add(new SseReader.Event(type, data.toString(StandardCharsets.UTF_8), id));
          data.reset();
          hasData = false;
        }
        type = null;
        continue;
      }
      if (line[0] == ':') {
        continue;
      }
      int colon = 0;
      while (colon < line.length && line[colon] != ':') {
        colon++;
      }
      String name = new String(line, 0, colon, StandardCharsets.ISO_8859_1);
      int v = Math.min(colon + 1, line.length);
      if (v < line.length && line[v] == ' ') {
        v++;
      }
      byte[] value = Arrays.copyOfRange(line, v, line.length);
      switch (name) {
        case "data" -> {
          if (hasData) {
            data.write('\n');
          }
          hasData = true;
          data.writeBytes(value);
          if (data.size() > max) {
            return new Outcome(events, true);
          }
        }
        case "event" -> type = new String(value, StandardCharsets.UTF_8);
        case "id" -> id = new String(value, StandardCharsets.UTF_8);
        default -> { }
      }
    }
  }

  /** Hands out the bytes in chunks of the given sizes, cycling; never returns 0 for a non-empty read. */
  static final class ChunkedStream extends InputStream {
    private final byte[] bytes;
    private final int[] chunks;
    private int pos;
    private int next;

    ChunkedStream(byte[] bytes, int[] chunks) {
      this.bytes = bytes;
      this.chunks = chunks;
    }

    @Override
    public int read() {
      return pos < bytes.length ? bytes[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (pos == bytes.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, chunks[next++ % chunks.length]), bytes.length - pos);
      System.arraycopy(bytes, pos, b, off, n);
      pos += n;
      return n;
    }
  }
}
