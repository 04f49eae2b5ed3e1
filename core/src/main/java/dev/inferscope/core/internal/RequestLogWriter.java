package dev.inferscope.core.internal;

import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.Outcome;
import dev.inferscope.core.Phase;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Writes one JSON object per ended call to the request logger, with jackson-core's streaming generator,
 * and attaches the same fields as SLF4J key-values. Holds no payload fields: there are none to fill.
 * Internal API: not for use outside Inferscope, may change without notice.
 */
public final class RequestLogWriter {
  /** Cap on any free-text field in the log line. */
  static final int MAX_FIELD = 256;

  private static final JsonFactory JSON = new JsonFactory();

  private final Logger logger;
  private final @Nullable IdentityHasher hasher;
  private final boolean keyValues;

  public RequestLogWriter(String loggerName, @Nullable IdentityHasher hasher, boolean keyValues) {
    this.logger = LoggerFactory.getLogger(loggerName);
    this.hasher = hasher;
    this.keyValues = keyValues;
  }

  /** Whether the logger would print anything at all. */
  public boolean enabled() {
    return logger.isInfoEnabled() || logger.isWarnEnabled();
  }

  /** Writes the log line of an ended call; {@code sampledBy} says why it was sampled. Never throws. */
  public void write(CallRecord e, String sampledBy) {
    Level level = e.errorType() == null || e.outcome() == Outcome.CANCELLED ? Level.INFO : Level.WARN;
    if (!logger.isEnabledForLevel(level)) {
      return;
    }
    String json = toJson(e, sampledBy);
    LoggingEventBuilder b = logger.atLevel(level).setMessage(json);
    if (keyValues) {
      CallDescriptor d = e.descriptor();
      b = b.addKeyValue("event", "inference.call")
          .addKeyValue("system", d.system().value())
          .addKeyValue("endpoint", cap(d.endpoint()))
          .addKeyValue("model", cap(d.model()))
          .addKeyValue("operation", cap(d.operation()))
          .addKeyValue("outcome", e.outcome().value())
          .addKeyValue("duration_ms", e.durationNanos() / 1e6)
          .addKeyValue("sampled_by", sampledBy);
      if (e.errorType() != null) {
        b = b.addKeyValue("error_type", e.errorType().tagValue());
      }
      if (e.traceId() != null) {
        b = b.addKeyValue("trace_id", e.traceId()).addKeyValue("span_id", e.spanId());
      }
      if (d.requestId() != null) {
        b = b.addKeyValue("request_id", cap(d.requestId()));
      }
    }
    b.log();
  }

  /** The JSON line for an ended call (public for tests and benchmarks). */
  public String toJson(CallRecord e, String sampledBy) {
    StringWriter out = new StringWriter(512);
    CallDescriptor d = e.descriptor();
    try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
      g.writeStartObject();
      g.writeStringProperty("timestamp", Instant.ofEpochSecond(0, e.endEpochNanos()).toString());
      g.writeStringProperty("event", "inference.call");
      g.writeStringProperty("system", d.system().value());
      g.writeStringProperty("endpoint", cap(d.endpoint()));
      g.writeStringProperty("model", cap(d.model()));
      if (e.modelVersion() != null) {
        g.writeStringProperty("model_version", cap(e.modelVersion()));
      }
      g.writeStringProperty("operation", cap(d.operation()));
      if (d.requestId() != null) {
        g.writeStringProperty("request_id", cap(d.requestId()));
      }
      if (e.traceId() != null) {
        g.writeStringProperty("trace_id", e.traceId());
        g.writeStringProperty("span_id", e.spanId());
      }
      g.writeStringProperty("outcome", e.outcome().value());
      if (e.errorType() != null) {
        g.writeStringProperty("error_type", e.errorType().tagValue());
        if (e.errorCode() != null) {
          g.writeStringProperty("error_code", e.errorCode()); // scrubbed and capped in the record
        }
      }
      g.writeNumberProperty("duration_ms", millis(e.durationNanos()));
      g.writeName("phases_ms");
      g.writeStartObject();
      for (Map.Entry<Phase, Long> p : e.phaseNanos().entrySet()) {
        g.writeNumberProperty(p.getKey().key(), millis(p.getValue()));
      }
      g.writeEndObject();
      long ttft = e.phaseNanos(Phase.TIME_TO_FIRST_TOKEN);
      if (ttft >= 0) {
        g.writeNumberProperty("ttft_ms", millis(ttft));
      }
      if (e.inputTokens() >= 0 || e.outputTokens() >= 0) {
        g.writeName("tokens");
        g.writeStartObject();
        if (e.inputTokens() >= 0) {
          g.writeNumberProperty("input", e.inputTokens());
        }
        if (e.outputTokens() >= 0) {
          g.writeNumberProperty("output", e.outputTokens());
        }
        g.writeEndObject();
      }
      if (e.chunks() > 0) {
        g.writeNumberProperty("chunks", e.chunks());
      }
      if (e.batchSize() >= 0) {
        g.writeNumberProperty("batch_size", e.batchSize());
      }
      if (e.requestBytes() >= 0) {
        g.writeNumberProperty("request_bytes", e.requestBytes());
      }
      if (e.responseBytes() >= 0) {
        g.writeNumberProperty("response_bytes", e.responseBytes());
      }
      if (e.attempts() > 1) {
        g.writeNumberProperty("attempts", e.attempts());
      }
      GpuSnapshot gpu = e.gpu();
      if (gpu != null) {
        g.writeName("gpu");
        g.writeStartObject();
        g.writeStringProperty("id", cap(gpu.id()));
        if (!Double.isNaN(gpu.utilization())) {
          g.writeNumberProperty("utilization", gpu.utilization());
        }
        if (gpu.memoryUsedBytes() >= 0) {
          g.writeNumberProperty("memory_used_bytes", gpu.memoryUsedBytes());
        }
        if (gpu.memoryTotalBytes() >= 0) {
          g.writeNumberProperty("memory_total_bytes", gpu.memoryTotalBytes());
        }
        g.writeNumberProperty("sample_age_ms", millis(e.gpuSampleAgeNanos()));
        g.writeStringProperty("source", gpu.source());
        if (gpu.stale()) {
          g.writeBooleanProperty("stale", true);
        }
        g.writeEndObject();
      }
      if (d.experiment() != null) {
        g.writeStringProperty("experiment", cap(d.experiment()));
        if (d.variant() != null) {
          g.writeStringProperty("variant", cap(d.variant()));
        }
      }
      if (hasher != null) {
        if (d.userId() != null) {
          g.writeStringProperty("user_hash", hasher.hash(d.userId()));
        }
        if (d.clientAddress() != null) {
          g.writeStringProperty("client_hash", hasher.hash(d.clientAddress()));
        }
      }
      if (!e.attributes().isEmpty()) {
        g.writeName("attributes");
        g.writeStartObject();
        for (Map.Entry<String, String> a : e.attributes().entrySet()) {
          g.writeStringProperty(a.getKey(), cap(a.getValue()));
        }
        g.writeEndObject();
      }
      g.writeStringProperty("sampled_by", sampledBy);
      g.writeEndObject();
    }
    return out.toString();
  }

  private static double millis(long nanos) {
    // Three decimals: microsecond resolution, short lines.
    return Math.round(nanos / 1000.0) / 1000.0;
  }

  private static String cap(String s) {
    if (s.length() <= MAX_FIELD) {
      return s;
    }
    return s.substring(0, MAX_FIELD) + "...";
  }
}
