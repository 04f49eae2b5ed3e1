package dev.inferscope.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What the caller knows about one call that the server does not: the experiment and variant it belongs
 * to, the end user and client address (emitted only as keyed hashes), and custom attributes. Set it on
 * any request of either client ({@code ChatRequest.Builder.context}, {@code InferRequest.Builder.context},
 * …); values the application puts in OpenTelemetry Baggage can fill it too (see
 * {@link InferenceTelemetry.Builder#attributesFromBaggage}).
 *
 * <p>Where the values go: experiment and variant on the span, the log line and the
 * {@code inference.client.duration} meter; custom attributes on the span and the log line, and on the
 * duration meters only for keys the telemetry allow-lists ({@link InferenceTelemetry.Builder#meterAttributes}),
 * so a per-user value can never explode the series count. Nothing here is checked for payload: keep
 * prompts and inputs out of it, Inferscope cannot tell them apart from a tag.
 *
 * <p>Immutable; {@link #empty()} is the context of a call that sets none.
 */
public final class CallContext {
  /** Most custom attributes one call may carry. */
  public static final int MAX_ATTRIBUTES = 32;
  /** Longest attribute value, experiment or variant, in characters. */
  public static final int MAX_VALUE_LENGTH = 256;

  private static final Pattern KEY = Pattern.compile("[a-zA-Z][a-zA-Z0-9_.\\-]{0,63}");
  /** Namespaces of the telemetry contract and the OpenTelemetry conventions it uses: not for custom keys. */
  private static final String[] RESERVED = {
    "inference.", "gen_ai.", "rpc.", "http.", "url.", "server.", "client.", "hw.", "error.", "exception.",
    "otel.", "telemetry."
  };
  private static final CallContext EMPTY = new CallContext(new Builder());

  private final @Nullable String experiment;
  private final @Nullable String variant;
  private final @Nullable String userId;
  private final @Nullable String clientAddress;
  private final Map<String, String> attributes;

  private CallContext(Builder b) {
    this.experiment = b.experiment;
    this.variant = b.variant;
    this.userId = b.userId;
    this.clientAddress = b.clientAddress;
    this.attributes = b.attributes.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(b.attributes));
  }

  /** The context that sets nothing. */
  public static CallContext empty() {
    return EMPTY;
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder initialised with this context's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.experiment = experiment;
    b.variant = variant;
    b.userId = userId;
    b.clientAddress = clientAddress;
    b.attributes.putAll(attributes);
    return b;
  }

  public @Nullable String experiment() {
    return experiment;
  }

  public @Nullable String variant() {
    return variant;
  }

  /** The end user's id; only ever emitted as a keyed hash. */
  public @Nullable String userId() {
    return userId;
  }

  /** The end user's address; only ever emitted as a keyed hash. */
  public @Nullable String clientAddress() {
    return clientAddress;
  }

  /** Custom attributes, in the order they were added. */
  public Map<String, String> attributes() {
    return attributes;
  }

  /** Whether nothing is set. */
  public boolean isEmpty() {
    return this == EMPTY
        || (experiment == null && variant == null && userId == null && clientAddress == null && attributes.isEmpty());
  }

  /**
   * Whether {@code key} may name a custom attribute: a letter, then letters, digits, {@code _ . -}, at most
   * 64 characters, and outside the namespaces the telemetry contract uses ({@code inference.},
   * {@code gen_ai.}, {@code rpc.}, {@code http.}, …).
   */
  public static boolean isValidKey(@Nullable String key) {
    if (key == null || !KEY.matcher(key).matches()) {
      return false;
    }
    for (String prefix : RESERVED) {
      if (key.startsWith(prefix)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code v} may be a value: 1..{@value #MAX_VALUE_LENGTH} characters, no control character. */
  static boolean isValidValue(@Nullable String v) {
    if (v == null || v.isEmpty() || v.length() > MAX_VALUE_LENGTH) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      if (Character.isISOControl(v.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  static void checkKey(String key) {
    if (!isValidKey(key)) {
      throw new IllegalArgumentException("invalid custom attribute key '" + key + "': a letter, then letters,"
          + " digits, '_', '.' or '-', at most 64 characters, not in a namespace of the telemetry contract"
          + " (inference., gen_ai., rpc., http., url., server., client., hw., error., ...)");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CallContext c && Objects.equals(experiment, c.experiment)
        && Objects.equals(variant, c.variant) && Objects.equals(userId, c.userId)
        && Objects.equals(clientAddress, c.clientAddress) && attributes.equals(c.attributes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(experiment, variant, userId, clientAddress, attributes);
  }

  /** Names what is set, never the user id or address. */
  @Override
  public String toString() {
    return "CallContext[experiment=" + experiment + ", variant=" + variant
        + (userId != null ? ", userId=<set>" : "") + (clientAddress != null ? ", clientAddress=<set>" : "")
        + ", attributes=" + attributes.keySet() + "]";
  }

  /** Builds a {@link CallContext}. Settings that can never be emitted fail here, not on the call. */
  public static final class Builder {
    private @Nullable String experiment;
    private @Nullable String variant;
    private @Nullable String userId;
    private @Nullable String clientAddress;
    private final Map<String, String> attributes = new LinkedHashMap<>();

    private Builder() {}

    /**
     * The experiment this call belongs to and the variant it was assigned (bounded values such as
     * {@code ranker-v2} / {@code b}: they become meter tags). {@code null} clears both.
     *
     * @throws IllegalArgumentException when a value is empty, longer than {@value #MAX_VALUE_LENGTH}
     *     characters or holds control characters, or a variant is given without an experiment
     */
    public Builder experiment(@Nullable String experiment, @Nullable String variant) {
      if (experiment == null && variant != null) {
        throw new IllegalArgumentException("a variant needs an experiment");
      }
      this.experiment = experiment == null ? null : value("experiment", experiment);
      this.variant = variant == null ? null : value("variant", variant);
      return this;
    }

    /** The end user's id; emitted only as a keyed HMAC, and only when the log policy has a key. */
    public Builder userId(@Nullable String userId) {
      this.userId = userId;
      return this;
    }

    /** The end user's address; emitted only as a keyed HMAC, and only when the log policy has a key. */
    public Builder clientAddress(@Nullable String clientAddress) {
      this.clientAddress = clientAddress;
      return this;
    }

    /**
     * A custom attribute (see {@link CallContext#isValidKey} for keys). A later value for the same key
     * replaces the earlier one.
     *
     * @throws IllegalArgumentException for an invalid key or value, or past {@value #MAX_ATTRIBUTES} keys
     */
    public Builder attribute(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      checkKey(key);
      String v = value(key, value);
      if (!attributes.containsKey(key) && attributes.size() >= MAX_ATTRIBUTES) {
        throw new IllegalArgumentException("at most " + MAX_ATTRIBUTES + " custom attributes per call");
      }
      attributes.put(key, v);
      return this;
    }

    public CallContext build() {
      if (experiment == null && userId == null && clientAddress == null && attributes.isEmpty()) {
        return EMPTY;
      }
      return new CallContext(this);
    }

    private static String value(String what, String v) {
      if (!isValidValue(v)) {
        throw new IllegalArgumentException(what + " must be 1.." + MAX_VALUE_LENGTH
            + " characters without control characters");
      }
      return v;
    }
  }
}
