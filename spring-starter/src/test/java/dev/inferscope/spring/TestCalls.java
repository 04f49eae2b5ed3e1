package dev.inferscope.spring;

import dev.inferscope.core.Call;
import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.CallListener;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.InferenceSystem;
import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.core.LogPolicy;
import dev.inferscope.core.ServerTimingSource;
import io.opentelemetry.api.OpenTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Produces real {@link CallRecord}s on a fake clock, through the real telemetry engine. */
public final class TestCalls {
  /** A clock that only moves when told to. */
  public static final class FakeClock implements InferenceClock {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicLong epoch = new AtomicLong(1_800_000_000_000_000_000L);

    public void advanceMillis(long millis) {
      nanos.addAndGet(millis * 1_000_000L);
      epoch.addAndGet(millis * 1_000_000L);
    }

    @Override
    public long nanoTime() {
      return nanos.get();
    }

    @Override
    public long epochNanos() {
      return epoch.get();
    }

    @Override
    public void sleepNanos(long n) {
      nanos.addAndGet(n);
      epoch.addAndGet(n);
    }
  }

  public final FakeClock clock = new FakeClock();
  public final List<CallRecord> records = new ArrayList<>();
  private final InferenceTelemetry telemetry;

  public TestCalls(CallListener... listeners) {
    InferenceTelemetry.Builder b = InferenceTelemetry.builder()
        .openTelemetry(OpenTelemetry.noop())
        .logPolicy(LogPolicy.disabled())
        .clock(clock)
        .addListener(records::add);
    for (CallListener l : listeners) {
      b.addListener(l);
    }
    this.telemetry = b.build();
  }

  public InferenceTelemetry telemetry() {
    return telemetry;
  }

  /** One Triton infer call of {@code totalMs} with the given server queue and compute times. */
  public CallRecord infer(String endpoint, String model, long totalMs, long queueMs, long computeMs) {
    Call call = telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", model)
        .endpoint(endpoint).build());
    clock.advanceMillis(totalMs);
    call.serverTiming(queueMs * 1_000_000L, computeMs * 1_000_000L, ServerTimingSource.STATISTICS);
    call.end();
    return records.get(records.size() - 1);
  }

  /** One failed call. */
  public CallRecord failed(String endpoint, String model, long totalMs, ErrorType type) {
    Call call = telemetry.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", model)
        .endpoint(endpoint).build());
    clock.advanceMillis(totalMs);
    call.end(InferenceException.of(type, "failed"));
    return records.get(records.size() - 1);
  }

  /** One streaming chat call: TTFT, then {@code tokens - 1} gaps. */
  public CallRecord chat(String endpoint, String model, long ttftMs, long gapMs, int tokens) {
    Call call = telemetry.start(CallDescriptor.builder(InferenceSystem.VLLM, "chat", model)
        .endpoint(endpoint).genAi(true).streaming(true).build());
    clock.advanceMillis(ttftMs);
    call.onChunk();
    for (int i = 1; i < tokens; i++) {
      clock.advanceMillis(gapMs);
      call.onChunk();
    }
    call.tokens(12, tokens);
    call.end();
    return records.get(records.size() - 1);
  }
}
