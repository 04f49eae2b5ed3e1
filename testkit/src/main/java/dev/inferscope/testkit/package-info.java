/**
 * Test support for Inferscope users and Inferscope itself: simulators of Triton and vLLM servers and a
 * telemetry capture.
 */
@NullMarked
package dev.inferscope.testkit;

import org.jspecify.annotations.NullMarked;
