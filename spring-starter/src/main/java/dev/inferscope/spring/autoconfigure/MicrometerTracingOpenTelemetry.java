package dev.inferscope.spring.autoconfigure;

import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Inferscope's spans on Micrometer Tracing, for applications whose tracer is Micrometer Tracing without
 * an OpenTelemetry SDK (the Brave bridge): an implementation of the part of the OpenTelemetry tracing
 * API that Inferscope's {@code Call} uses — span builder, span, span context, propagation — that starts
 * each span with Micrometer's current span as parent, sets attributes as tags, and injects the headers
 * with Micrometer's {@link Propagator} (so the server sees the application's propagation format). With
 * the OpenTelemetry bridge the application has an {@link OpenTelemetry} bean and this is not used.
 */
final class MicrometerTracingOpenTelemetry implements OpenTelemetry {
  private final io.micrometer.tracing.Tracer tracer;
  private final TracerProvider provider;
  private final ContextPropagators propagators;

  MicrometerTracingOpenTelemetry(io.micrometer.tracing.Tracer tracer, Propagator propagator) {
    this.tracer = tracer;
    Tracer t = name -> new Builder(name);
    this.provider = new TracerProvider() {
      @Override
      public Tracer get(String instrumentationScopeName) {
        return t;
      }

      @Override
      public Tracer get(String instrumentationScopeName, String instrumentationScopeVersion) {
        return t;
      }
    };
    this.propagators = ContextPropagators.create(new Propagation(propagator));
  }

  @Override
  public TracerProvider getTracerProvider() {
    return provider;
  }

  @Override
  public ContextPropagators getPropagators() {
    return propagators;
  }

  /** Collects what the span starts with, then starts a Micrometer span. */
  private final class Builder implements SpanBuilder {
    private final String name;
    private @Nullable Context parent;
    private boolean noParent;
    private SpanKind kind = SpanKind.INTERNAL;
    private long startNanos = -1;
    private final List<Object[]> attributes = new ArrayList<>(16);

    Builder(String name) {
      this.name = name;
    }

    @Override
    public SpanBuilder setParent(Context context) {
      this.parent = context;
      this.noParent = false;
      return this;
    }

    @Override
    public SpanBuilder setNoParent() {
      this.noParent = true;
      return this;
    }

    @Override
    public SpanBuilder addLink(SpanContext spanContext) {
      return this;
    }

    @Override
    public SpanBuilder addLink(SpanContext spanContext, Attributes attributes) {
      return this;
    }

    @Override
    public SpanBuilder setAttribute(String key, String value) {
      return setAttribute(AttributeKey.stringKey(key), value);
    }

    @Override
    public SpanBuilder setAttribute(String key, long value) {
      return setAttribute(AttributeKey.longKey(key), value);
    }

    @Override
    public SpanBuilder setAttribute(String key, double value) {
      return setAttribute(AttributeKey.doubleKey(key), value);
    }

    @Override
    public SpanBuilder setAttribute(String key, boolean value) {
      return setAttribute(AttributeKey.booleanKey(key), value);
    }

    @Override
    public <T> SpanBuilder setAttribute(AttributeKey<T> key, @Nullable T value) {
      if (value != null) {
        attributes.add(new Object[] {key.getKey(), value});
      }
      return this;
    }

    @Override
    public SpanBuilder setSpanKind(SpanKind spanKind) {
      this.kind = spanKind;
      return this;
    }

    @Override
    public SpanBuilder setStartTimestamp(long startTimestamp, TimeUnit unit) {
      this.startNanos = unit.toNanos(startTimestamp);
      return this;
    }

    @Override
    public Span startSpan() {
      io.micrometer.tracing.Span.Builder b = tracer.spanBuilder().name(name).kind(kind(kind));
      TraceContext p = noParent ? null : parentOf(parent);
      if (p != null) {
        b.setParent(p);
      } else {
        b.setNoParent();
      }
      if (startNanos >= 0) {
        b.startTimestamp(startNanos, TimeUnit.NANOSECONDS);
      }
      io.micrometer.tracing.Span span = b.start();
      MicrometerSpan s = new MicrometerSpan(span);
      for (Object[] a : attributes) {
        s.tag((String) a[0], a[1]);
      }
      return s;
    }

    /** An Inferscope span in the context (a nested call), else Micrometer's current span, else none. */
    private @Nullable TraceContext parentOf(@Nullable Context context) {
      Span s = context == null ? null : Span.fromContextOrNull(context);
      if (s instanceof MicrometerSpan m) {
        return m.span.context();
      }
      io.micrometer.tracing.Span current = tracer.currentSpan();
      return current == null ? null : current.context();
    }
  }

  private static io.micrometer.tracing.Span.Kind kind(SpanKind kind) {
    return switch (kind) {
      case CLIENT -> io.micrometer.tracing.Span.Kind.CLIENT;
      case SERVER -> io.micrometer.tracing.Span.Kind.SERVER;
      case PRODUCER -> io.micrometer.tracing.Span.Kind.PRODUCER;
      case CONSUMER -> io.micrometer.tracing.Span.Kind.CONSUMER;
      default -> null;
    };
  }

  /** An OpenTelemetry span over a Micrometer span. */
  static final class MicrometerSpan implements Span {
    final io.micrometer.tracing.Span span;
    private final SpanContext context;

    MicrometerSpan(io.micrometer.tracing.Span span) {
      this.span = span;
      this.context = spanContext(span.context());
    }

    /** Micrometer's ids as OpenTelemetry's: a 64-bit trace id (Brave's default) is left-padded to 128 bits. */
    private static SpanContext spanContext(TraceContext c) {
      String traceId = c.traceId();
      if (traceId != null && traceId.length() == 16) {
        traceId = "0000000000000000" + traceId;
      }
      TraceFlags flags = Boolean.TRUE.equals(c.sampled()) ? TraceFlags.getSampled() : TraceFlags.getDefault();
      SpanContext sc = SpanContext.create(traceId == null ? "" : traceId, c.spanId() == null ? "" : c.spanId(),
          flags, TraceState.getDefault());
      return sc.isValid() ? sc : SpanContext.getInvalid();
    }

    @SuppressWarnings("unchecked")
    void tag(String key, Object value) {
      if (value instanceof String s) {
        span.tag(key, s);
      } else if (value instanceof Long l) {
        span.tag(key, l);
      } else if (value instanceof Integer i) {
        span.tag(key, (long) i);
      } else if (value instanceof Double d) {
        span.tag(key, d);
      } else if (value instanceof Boolean b) {
        span.tag(key, b);
      } else if (value instanceof Collection<?> c && c.stream().allMatch(String.class::isInstance)) {
        span.tagOfStrings(key, new ArrayList<>((Collection<String>) c));
      } else {
        span.tag(key, String.valueOf(value));
      }
    }

    @Override
    public <T> Span setAttribute(AttributeKey<T> key, @Nullable T value) {
      if (value != null) {
        tag(key.getKey(), value);
      }
      return this;
    }

    @Override
    public Span addEvent(String name, Attributes attributes) {
      span.event(name);
      return this;
    }

    @Override
    public Span addEvent(String name, Attributes attributes, long timestamp, TimeUnit unit) {
      span.event(name, timestamp, unit);
      return this;
    }

    @Override
    public Span setStatus(StatusCode statusCode, String description) {
      if (statusCode == StatusCode.ERROR) {
        // Zipkin's convention: the "error" tag holds the description (ours: the error type, never a message)
        span.tag("error", description == null || description.isEmpty() ? "true" : description);
      }
      return this;
    }

    @Override
    public Span recordException(Throwable exception, Attributes additionalAttributes) {
      return this; // Inferscope never records exceptions on spans: their messages can hold input
    }

    @Override
    public Span updateName(String name) {
      span.name(name);
      return this;
    }

    @Override
    public void end() {
      span.end();
    }

    @Override
    public void end(long timestamp, TimeUnit unit) {
      span.end(timestamp, unit);
    }

    @Override
    public SpanContext getSpanContext() {
      return context;
    }

    @Override
    public boolean isRecording() {
      return !span.isNoop();
    }
  }

  /** Injects the span of the context with Micrometer's propagator; extracts nothing (Inferscope is a client). */
  private static final class Propagation implements TextMapPropagator {
    private final Propagator propagator;

    Propagation(Propagator propagator) {
      this.propagator = propagator;
    }

    @Override
    public Collection<String> fields() {
      return propagator.fields();
    }

    @Override
    public <C> void inject(Context context, @Nullable C carrier, TextMapSetter<C> setter) {
      Span s = Span.fromContextOrNull(context);
      if (s instanceof MicrometerSpan m && carrier != null) {
        propagator.inject(m.span.context(), carrier, setter::set);
      }
    }

    @Override
    public <C> Context extract(Context context, @Nullable C carrier, TextMapGetter<C> getter) {
      return context;
    }
  }

  @Override
  public String toString() {
    return "MicrometerTracingOpenTelemetry[" + tracer + "]";
  }
}
