package dev.inferscope.testkit.triton;

import dev.inferscope.testkit.SimulatedModel;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * One model's state: its instances (a fair semaphore: the queue is first-in-first-out), the requests
 * waiting, the dynamic batch being formed, and the counters Triton keeps for it (cumulative counts and
 * nanoseconds, as in triton-inference-server/core src/infer_stats.cc) beside the simulator's own truth.
 */
final class ModelState {
  final SimulatedModel model;
  final Semaphore instances;
  final AtomicInteger waiting = new AtomicInteger();
  final AtomicLong served = new AtomicLong();
  final AtomicLong queueNanos = new AtomicLong();
  final AtomicLong computeNanos = new AtomicLong();
  final AtomicLong cancelledInQueue = new AtomicLong();
  final AtomicLong computeOnCancelled = new AtomicLong();
  final AtomicLong rejected = new AtomicLong();
  final AtomicLong timedOut = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  final AtomicLong failedNanos = new AtomicLong();
  final AtomicLong successNanos = new AtomicLong();
  final AtomicLong inferences = new AtomicLong();
  volatile long lastInference;
  volatile boolean loaded = true;
  final java.util.Random random;
  final Object batchLock = new Object();
  @Nullable Batch forming;
  final AtomicLong executions = new AtomicLong();
  final java.util.concurrent.ConcurrentHashMap<Integer, AtomicLong> batchSizes = new java.util.concurrent.ConcurrentHashMap<>();

  ModelState(SimulatedModel model) {
    this.model = model;
    this.random = new java.util.Random(model.seed());
    this.instances = new Semaphore(model.instances(), true);
  }

  /** A dynamic batch: formed by the request that got an instance, joined by those arriving meanwhile. */
  static final class Batch {
    int size = 1;
    boolean closed;
    final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    volatile long startedNanos;
    volatile long computedNanos;
    volatile @Nullable SimError failure;
  }
}
