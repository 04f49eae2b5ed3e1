package dev.inferscope.core.internal;

import dev.inferscope.core.CallDescriptor;
import dev.inferscope.core.CallRecord;
import dev.inferscope.core.ErrorType;
import dev.inferscope.core.Outcome;
import dev.inferscope.core.Phase;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The Micrometer meters of the telemetry contract, cached per tag set. Internal API: not for use
 * outside Inferscope, may change without notice.
 */
public final class CallMeters {
  public static final String DURATION = "inference.client.duration";
  public static final String PHASE_DURATION = "inference.client.phase.duration";
  public static final String ACTIVE = "inference.client.active";
  public static final String REQUEST_SIZE = "inference.client.request.size";
  public static final String RESPONSE_SIZE = "inference.client.response.size";
  public static final String BATCH_SIZE = "inference.client.batch.size";
  public static final String GEN_AI_DURATION = "gen_ai.client.operation.duration";
  public static final String GEN_AI_TOKEN_USAGE = "gen_ai.client.token.usage";
  public static final String GEN_AI_TTFC = "gen_ai.client.operation.time_to_first_chunk";
  public static final String GEN_AI_TPOC = "gen_ai.client.operation.time_per_output_chunk";

  private final MeterRegistry registry;
  private final Map<Key, Timer> durations = new ConcurrentHashMap<>();
  private final Map<ModelKey, PerModel> perModel = new ConcurrentHashMap<>();
  private static final int ERROR_TYPES = ErrorType.values().length;
  private static final int DURATION_SLOTS = Outcome.values().length * (ERROR_TYPES + 1);

  /** Most distinct values an allow-listed custom attribute takes as a tag; later ones are {@value #OTHER}. */
  public static final int MAX_VALUES_PER_TAG = 100;
  /** The tag value past {@link #MAX_VALUES_PER_TAG}. */
  public static final String OTHER = "other";
  private static final Set<String> CONTRACT_TAGS = Set.of("system", "model", "endpoint", "operation", "outcome",
      "error.type", "experiment", "variant", "gen_ai.operation.name", "gen_ai.provider.name",
      "gen_ai.request.model");

  private final Map<String, Set<String>> allowed;
  private final Set<String> experiments = ConcurrentHashMap.newKeySet();
  private final Set<String> variants = ConcurrentHashMap.newKeySet();

  public CallMeters(MeterRegistry registry) {
    this(registry, List.of());
  }

  /** {@code meterAttributes}: the custom attribute keys allowed onto the duration meters. */
  public CallMeters(MeterRegistry registry, List<String> meterAttributes) {
    this.registry = registry;
    Map<String, Set<String>> a = new LinkedHashMap<>();
    for (String k : meterAttributes) {
      a.put(k, ConcurrentHashMap.newKeySet());
    }
    this.allowed = Collections.unmodifiableMap(a);
  }

  /** The in-flight gauge for the descriptor's system, model and endpoint. */
  public Active active(CallDescriptor d) {
    return perModel(d).active;
  }

  /**
   * Records the gap between two chunks of a GenAI stream; {@code handle} is what {@link #active} gave
   * for the same descriptor (it saves a lookup), or null.
   */
  public void chunkGap(CallDescriptor d, @Nullable Active handle, long nanos) {
    Timer t = (handle != null ? handle.owner : perModel(d)).tpoc;
    if (t != null) {
      t.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Records an ended call; {@code handle} is what {@link #active} gave for the same descriptor (it saves
   * the lookups of the per-model meters), or null; {@code extra} are the convention's tags for the
   * duration meters (empty in the common case).
   */
  public void record(CallRecord r, @Nullable Active handle, Tags extra) {
    CallDescriptor d = r.descriptor();
    PerModel pm = handle != null ? handle.owner : perModel(d);
    Outcome outcome = r.outcome();
    ErrorType errorType = r.errorType();
    String error = errorType == null ? "none" : errorType.tagValue();
    Tags custom = allowedAttributes(r, extra);
    Tags tags = custom == null ? Tags.empty() : custom;
    long durationNanos = r.durationNanos();
    Timer t;
    if (d.experiment() == null && d.variant() == null && custom == null) {
      // the common case: one array slot per operation, outcome and error type, no key to build
      AtomicReferenceArray<Timer> byOutcome = pm.durations.computeIfAbsent(d.operation(),
          op -> new AtomicReferenceArray<>(DURATION_SLOTS));
      int slot = outcome.ordinal() * (ERROR_TYPES + 1) + (errorType == null ? 0 : errorType.ordinal() + 1);
      t = byOutcome.get(slot);
      if (t == null) {
        t = durations.computeIfAbsent(new Key(d.system().value(), d.model(), d.endpoint(), d.operation(),
            outcome.value(), error, null, null, Tags.empty()), this::durationTimer);
        byOutcome.set(slot, t); // racing writers all store the same registered timer
      }
    } else {
      t = durations.computeIfAbsent(new Key(d.system().value(), d.model(), d.endpoint(), d.operation(),
          outcome.value(), error, bounded(experiments, d.experiment()), bounded(variants, d.variant()), tags),
          this::durationTimer);
    }
    t.record(durationNanos, TimeUnit.NANOSECONDS);
    for (Map.Entry<Phase, Long> e : r.phaseNanos().entrySet()) {
      pm.phase(e.getKey()).record(e.getValue(), TimeUnit.NANOSECONDS);
    }
    if (r.requestBytes() >= 0) {
      pm.requestSize.record(r.requestBytes());
    }
    if (r.responseBytes() >= 0) {
      pm.responseSize.record(r.responseBytes());
    }
    if (r.batchSize() >= 0) {
      pm.batchSize.record(r.batchSize());
    }
    if (d.genAi() && pm.inputTokens != null && pm.outputTokens != null && pm.ttfc != null) {
      Timer g;
      if (custom == null) {
        int slot = errorType == null ? 0 : errorType.ordinal() + 1;
        g = pm.genAiDurations.get(slot);
        if (g == null) {
          g = durations.computeIfAbsent(new Key(d.system().value(), d.model(), d.endpoint(), d.genAiOperation(), "genai",
              error, null, null, Tags.empty()), this::genAiTimer);
          pm.genAiDurations.set(slot, g);
        }
      } else {
        g = durations.computeIfAbsent(new Key(d.system().value(), d.model(), d.endpoint(), d.genAiOperation(), "genai",
            error, null, null, tags), this::genAiTimer);
      }
      g.record(durationNanos, TimeUnit.NANOSECONDS);
      if (r.inputTokens() >= 0) {
        pm.inputTokens.record(r.inputTokens());
      }
      if (r.outputTokens() >= 0) {
        pm.outputTokens.record(r.outputTokens());
      }
      long ttft = r.phaseNanos(Phase.TIME_TO_FIRST_TOKEN);
      if (ttft >= 0) {
        pm.ttfc.record(ttft, TimeUnit.NANOSECONDS);
      }
    }
  }

  /**
   * {@code value}, or {@value #OTHER} once {@link #MAX_VALUES_PER_TAG} other values were seen: experiment
   * and variant often come from request headers, and a meter per made-up value would exhaust the registry.
   */
  private static @Nullable String bounded(Set<String> seen, @Nullable String value) {
    if (value == null || seen.contains(value)) {
      return value;
    }
    if (seen.size() >= MAX_VALUES_PER_TAG) {
      return OTHER;
    }
    seen.add(value);
    return value;
  }

  /** Whether {@code key} is one of the duration meters' own tag keys. */
  public static boolean isContractTag(String key) {
    return CONTRACT_TAGS.contains(key);
  }

  /**
   * The allow-listed custom attributes as tags (values capped per key), plus the convention's; null when
   * there are none (the common case: nothing allocated).
   */
  private @Nullable Tags allowedAttributes(CallRecord r, Tags extra) {
    if (allowed.isEmpty() && extra == Tags.empty()) {
      return null;
    }
    Tags out = Tags.empty();
    boolean any = false;
    if (!allowed.isEmpty()) {
      Map<String, String> attrs = r.attributes();
      for (Map.Entry<String, Set<String>> e : allowed.entrySet()) {
        String v = attrs.get(e.getKey());
        if (v == null) {
          continue;
        }
        Set<String> seen = e.getValue();
        if (!seen.contains(v)) {
          if (seen.size() >= MAX_VALUES_PER_TAG) {
            v = OTHER;
          } else {
            seen.add(v);
          }
        }
        out = out.and(e.getKey(), v);
        any = true;
      }
    }
    for (Tag t : extra) {
      if (!isContractTag(t.getKey()) && !allowed.containsKey(t.getKey())) {
        out = out.and(t);
        any = true;
      }
    }
    return any ? out : null;
  }

  private PerModel perModel(CallDescriptor d) {
    // looked up on every call: a four-string key (whose hashes the strings cache), nothing else built
    ModelKey key = new ModelKey(d.system().value(), d.model(), d.endpoint(), d.genAi() ? d.genAiOperation() : "");
    PerModel pm = perModel.get(key);
    if (pm == null) {
      pm = perModel.computeIfAbsent(key, k -> new PerModel(registry, new Key(k.system, k.model, k.endpoint,
          k.operation, "", "", null, null, Tags.empty())));
    }
    return pm;
  }

  private record ModelKey(String system, String model, String endpoint, String operation) {}

  private Timer durationTimer(Key k) {
    Tags tags = Tags.of("system", k.system, "model", k.model, "endpoint", k.endpoint,
        "operation", k.operation, "outcome", k.outcome, "error.type", k.error);
    if (k.experiment != null) {
      tags = tags.and("experiment", k.experiment, "variant", k.variant == null ? "none" : k.variant);
    }
    tags = tags.and(k.extra);
    return Timer.builder(DURATION)
        .description("Duration of inference calls as the client sees them")
        .tags(tags)
        .register(registry);
  }

  private Timer genAiTimer(Key k) {
    return Timer.builder(GEN_AI_DURATION)
        .description("GenAI operation duration")
        .tags("gen_ai.operation.name", k.operation, "gen_ai.provider.name", k.system,
            "gen_ai.request.model", k.model, "error.type", k.error)
        .tags(k.extra)
        .register(registry);
  }

  private record Key(String system, String model, String endpoint, String operation, String outcome,
      String error, @Nullable String experiment, @Nullable String variant, Tags extra) {}

  /** The in-flight counter behind the {@value #ACTIVE} gauge, and a handle on its model's meters. */
  public static final class Active {
    private final AtomicInteger count = new AtomicInteger();
    private final PerModel owner;

    Active(PerModel owner) {
      this.owner = owner;
    }

    public void increment() {
      count.incrementAndGet();
    }

    public void decrement() {
      count.decrementAndGet();
    }

    public int get() {
      return count.get();
    }
  }

  private static final class PerModel {
    final Active active = new Active(this);
    final Map<String, AtomicReferenceArray<Timer>> durations = new ConcurrentHashMap<>();
    final AtomicReferenceArray<Timer> genAiDurations = new AtomicReferenceArray<>(ERROR_TYPES + 1);
    // A phase's timer is registered when the phase first occurs: a Triton model never has a time to first
    // token, a call without a bulkhead never a client queue, and with histograms on each timer is ~70
    // series that would stay zero.
    private final AtomicReferenceArray<Timer> phases = new AtomicReferenceArray<>(Phase.values().length);
    private final MeterRegistry registry;
    private final Tags base;
    final DistributionSummary requestSize;
    final DistributionSummary responseSize;
    final DistributionSummary batchSize;
    // GenAI meters exist only for GenAI calls.
    final @Nullable DistributionSummary inputTokens;
    final @Nullable DistributionSummary outputTokens;
    final @Nullable Timer ttfc;
    final @Nullable Timer tpoc;

    Timer phase(Phase p) {
      Timer t = phases.get(p.ordinal());
      if (t == null) {
        t = Timer.builder(PHASE_DURATION)
            .description("Time spent in each phase of an inference call")
            .tags(base).tag("phase", p.key())
            .register(registry); // racing callers get the same registered timer
        phases.set(p.ordinal(), t);
      }
      return t;
    }

    PerModel(MeterRegistry registry, Key k) {
      Tags base = Tags.of("system", k.system, "model", k.model, "endpoint", k.endpoint);
      Gauge.builder(ACTIVE, active, Active::get)
          .description("Inference calls in flight")
          .tags(base)
          .strongReference(true)
          .register(registry);
      this.registry = registry;
      this.base = base;
      requestSize = DistributionSummary.builder(REQUEST_SIZE).baseUnit("bytes").tags(base)
          .description("Request size").register(registry);
      responseSize = DistributionSummary.builder(RESPONSE_SIZE).baseUnit("bytes").tags(base)
          .description("Response size").register(registry);
      batchSize = DistributionSummary.builder(BATCH_SIZE).tags(base)
          .description("Batch size of inference requests").register(registry);
      if (k.operation.isEmpty()) {
        inputTokens = null;
        outputTokens = null;
        ttfc = null;
        tpoc = null;
        return;
      }
      Tags genAi = Tags.of("gen_ai.operation.name", k.operation,
          "gen_ai.provider.name", k.system, "gen_ai.request.model", k.model);
      inputTokens = DistributionSummary.builder(GEN_AI_TOKEN_USAGE).tags(genAi)
          .tag("gen_ai.token.type", "input").description("Tokens used per GenAI call").register(registry);
      outputTokens = DistributionSummary.builder(GEN_AI_TOKEN_USAGE).tags(genAi)
          .tag("gen_ai.token.type", "output").description("Tokens used per GenAI call").register(registry);
      ttfc = Timer.builder(GEN_AI_TTFC).tags(genAi)
          .description("Time to the first chunk of a streamed GenAI response").register(registry);
      tpoc = Timer.builder(GEN_AI_TPOC).tags(genAi)
          .description("Time between chunks of a streamed GenAI response").register(registry);
    }
  }
}
