/**
 * The Triton simulator: {@link dev.inferscope.testkit.triton.TritonSimulator} and its parts (scheduler on
 * an {@code InferenceClock}, gRPC and HTTP frontends, metrics page, fault plan).
 */
@NullMarked
package dev.inferscope.testkit.triton;

import org.jspecify.annotations.NullMarked;
