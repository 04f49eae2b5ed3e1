package dev.inferscope.core;

/**
 * The phases one inference call's latency is split into.
 *
 * <p>Two kinds. The <b>partition</b> ({@link #inPartition()}): {@link #CLIENT_QUEUE}, {@link #SERIALIZE},
 * {@link #NETWORK}, {@link #SERVER_QUEUE}, {@link #SERVER_COMPUTE}, {@link #DESERIALIZE} sum to the
 * call's total on every path, and none is negative. {@link #NETWORK} is never measured directly: it is
 * what remains of the total once the others are taken away. The <b>LLM view</b>:
 * {@link #TIME_TO_FIRST_TOKEN} and {@link #DECODE} (the sum of the gaps between output chunks) overlap
 * the partition (decoding happens inside server compute and network) and are never subtracted from it.
 */
public enum Phase {
  /** Waiting on the client side for a bulkhead permit before anything is sent. */
  CLIENT_QUEUE("client_queue"),
  /** Encoding the request (protobuf, JSON, binary tensors). */
  SERIALIZE("serialize"),
  /** Transport time: total minus every other measured phase (derived). */
  NETWORK("network"),
  /** Time the request waited in the server's queue (reported or estimated). */
  SERVER_QUEUE("server_queue"),
  /** Time the server spent computing (reported or estimated). */
  SERVER_COMPUTE("server_compute"),
  /**
   * Decoding the response on the client. On a stream that ends as it should, also the time from the
   * arrival at the HTTP client (or gRPC listener) of what ended it to the reader taking it: a reader that
   * fell behind, or a busy machine slow to wake it, is the client's time, not the network's.
   */
  DESERIALIZE("deserialize"),
  /** Streaming calls: from the start of the call to the arrival of the first chunk. */
  TIME_TO_FIRST_TOKEN("time_to_first_token"),
  /** Streaming calls: the sum of the gaps between chunks after the first one. */
  DECODE("decode");

  private final String key;

  Phase(String key) {
    this.key = key;
  }

  /** The lower-case key used in attribute names, metric tags and log fields. */
  public String key() {
    return key;
  }

  /**
   * Whether this phase is part of the sum that {@link #NETWORK} is derived from. Streaming phases
   * (time to first token and decode) overlap the others and are reported on their own.
   */
  public boolean partOfTotal() {
    return this != TIME_TO_FIRST_TOKEN && this != DECODE && this != NETWORK;
  }

  /** Whether this phase is one of the partition that sums to the call's total (NETWORK included). */
  public boolean inPartition() {
    return this != TIME_TO_FIRST_TOKEN && this != DECODE;
  }
}
