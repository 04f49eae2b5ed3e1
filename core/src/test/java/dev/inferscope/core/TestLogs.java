package dev.inferscope.core;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/** Captures what the request logger (and any other logger) prints during a test. */
final class TestLogs implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  TestLogs(String name) {
    this.logger = (Logger) LoggerFactory.getLogger(name);
    logger.setLevel(Level.DEBUG);
    appender.start();
    logger.addAppender(appender);
  }

  static TestLogs requests() {
    return new TestLogs(LogPolicy.DEFAULT_LOGGER);
  }

  static TestLogs root() {
    return new TestLogs(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  List<ILoggingEvent> events() {
    return List.copyOf(appender.list);
  }

  List<String> messages() {
    return events().stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
  }

  /** Everything printed: messages, key-values and throwables' messages. */
  String everything() {
    StringBuilder sb = new StringBuilder();
    for (ILoggingEvent e : events()) {
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

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
