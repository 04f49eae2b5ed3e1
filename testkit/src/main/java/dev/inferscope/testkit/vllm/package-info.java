/**
 * An OpenAI-compatible server that behaves like vLLM (streaming, queueing, {@code /metrics}, errors), for
 * tests and demos.
 */
@NullMarked
package dev.inferscope.testkit.vllm;

import org.jspecify.annotations.NullMarked;
