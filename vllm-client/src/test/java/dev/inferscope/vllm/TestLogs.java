package dev.inferscope.vllm;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/** Captures everything every logger prints during a test. */
final class TestLogs implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  TestLogs() {
    root.setLevel(Level.DEBUG);
    appender.start();
    root.addAppender(appender);
  }

  String everything() {
    StringBuilder sb = new StringBuilder();
    for (ILoggingEvent e : appender.list.toArray(new ILoggingEvent[0])) {
      sb.append(e.getFormattedMessage()).append('\n');
      if (e.getKeyValuePairs() != null) {
        e.getKeyValuePairs().forEach(kv -> sb.append(kv.key).append('=').append(kv.value).append('\n'));
      }
      if (e.getThrowableProxy() != null) {
        sb.append(e.getThrowableProxy().getMessage()).append('\n');
      }
    }
    return sb.toString();
  }

  long requestLines() {
    return appender.list.stream().filter(e -> e.getLoggerName().equals("dev.inferscope.requests")).count();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
  }
}
