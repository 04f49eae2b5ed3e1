package dev.inferscope.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A server-sent-events reader working on bytes: LF, CRLF and CR line ends, comments, multi-line
 * {@code data:}, {@code event:} and {@code id:} fields, a single optional space after the colon. An event
 * is dispatched at a blank line; a stream that ends in the middle of an event drops that event (as the
 * specification says). Events larger than the configured cap fail with an {@link IOException}.
 * Not thread-safe. Internal API: not for use outside Inferscope, may change without notice.
 */
public final class SseReader {
  /** One dispatched event. {@code event} is {@code null} for the default type. */
  public record Event(@Nullable String event, String data, @Nullable String id) {}

  /** Thrown when an event exceeds the size cap. */
  public static final class EventTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    EventTooLargeException(int max) {
      super("server-sent event larger than " + max + " bytes");
    }
  }

  private final InputStream in;
  private final int maxEventBytes;
  private final byte[] buf;
  private int pos;
  private int limit;
  private boolean eof;
  private boolean skipLf;

  private byte[] data;
  private int dataLen;
  private boolean hasData;
  private @Nullable String eventType;
  private @Nullable String lastId;
  private byte[] line;
  private int lineLen;

  public SseReader(InputStream in, int maxEventBytes) {
    this(in, maxEventBytes, 8192);
  }

  public SseReader(InputStream in, int maxEventBytes, int bufferSize) {
    this.in = in;
    this.maxEventBytes = maxEventBytes;
    this.buf = new byte[bufferSize];
    // Never larger than the cap to start with: the cap is checked only when an array is full.
    int initial = Math.min(256, Math.max(0, maxEventBytes));
    this.data = new byte[initial];
    this.line = new byte[initial];
  }

  /** The next event, or {@code null} at the end of the stream. */
  public @Nullable Event next() throws IOException {
    while (readLine()) {
      if (lineLen == 0) {
        if (hasData) {
          Event e = new Event(eventType, new String(data, 0, dataLen, StandardCharsets.UTF_8), lastId);
          dataLen = 0;
          hasData = false;
          eventType = null;
          return e;
        }
        eventType = null;
        continue;
      }
      if (line[0] == ':') {
        continue; // comment / keep-alive
      }
      int colon = indexOf(line, lineLen, (byte) ':');
      int nameEnd = colon < 0 ? lineLen : colon;
      int valueStart = colon < 0 ? lineLen : colon + 1;
      if (valueStart < lineLen && line[valueStart] == ' ') {
        valueStart++;
      }
      if (is(line, nameEnd, DATA)) {
        if (hasData) {
          appendData((byte) '\n');
        }
        hasData = true;
        appendData(line, valueStart, lineLen - valueStart);
      } else if (is(line, nameEnd, EVENT)) {
        eventType = new String(line, valueStart, lineLen - valueStart, StandardCharsets.UTF_8);
      } else if (is(line, nameEnd, ID)) {
        lastId = new String(line, valueStart, lineLen - valueStart, StandardCharsets.UTF_8);
      }
      // retry and unknown fields are ignored
    }
    return null;
  }

  private static final byte[] DATA = {'d', 'a', 't', 'a'};
  private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};
  private static final byte[] ID = {'i', 'd'};

  private static boolean is(byte[] b, int len, byte[] word) {
    if (len != word.length) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      if (b[i] != word[i]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] b, int len, byte c) {
    for (int i = 0; i < len; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private void appendData(byte b) throws IOException {
    data = ensure(data, dataLen, 1);
    data[dataLen++] = b;
  }

  private void appendData(byte[] src, int from, int n) throws IOException {
    data = ensure(data, dataLen, n);
    System.arraycopy(src, from, data, dataLen, n);
    dataLen += n;
  }

  /** {@code a} with room for {@code more} bytes after {@code used}; never beyond the event size cap. */
  private byte[] ensure(byte[] a, int used, int more) throws EventTooLargeException {
    int needed = used + more;
    if (needed <= a.length) {
      return a;
    }
    if (needed > maxEventBytes || needed < 0) {
      throw new EventTooLargeException(maxEventBytes);
    }
    return Arrays.copyOf(a, (int) Math.min(maxEventBytes, Math.max(needed, 2L * a.length)));
  }

  /** Reads one line into {@code line}: scans the buffer for the end of line and copies in bulk. */
  private boolean readLine() throws IOException {
    lineLen = 0;
    while (true) {
      if (pos == limit) {
        if (eof || !fill()) {
          return false;
        }
      }
      if (skipLf) {
        skipLf = false;
        if (buf[pos] == '\n') {
          pos++;
          continue;
        }
      }
      int start = pos;
      int end = limit;
      int i = start;
      while (i < end) {
        byte b = buf[i];
        if (b == '\n' || b == '\r') {
          break;
        }
        i++;
      }
      int n = i - start;
      if (n > 0) {
        line = ensure(line, lineLen, n);
        System.arraycopy(buf, start, line, lineLen, n);
        lineLen += n;
      }
      if (i == end) {
        pos = end; // no end of line in this buffer: read more
        continue;
      }
      skipLf = buf[i] == '\r';
      pos = i + 1;
      return true;
    }
  }

  private boolean fill() throws IOException {
    int n = in.read(buf, 0, buf.length);
    if (n <= 0) {
      eof = n < 0;
      return n > 0;
    }
    pos = 0;
    limit = n;
    return true;
  }
}
