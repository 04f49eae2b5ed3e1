/**
 * An observable client for vLLM and other OpenAI-compatible servers: chat, completions, embeddings and
 * streaming, each call recorded through Inferscope's {@link dev.inferscope.core.Call}. Start with
 * {@link dev.inferscope.vllm.VllmClient#builder(java.net.URI)}.
 */
@NullMarked
package dev.inferscope.vllm;

import org.jspecify.annotations.NullMarked;
