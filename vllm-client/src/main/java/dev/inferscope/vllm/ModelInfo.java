package dev.inferscope.vllm;

import org.jspecify.annotations.Nullable;

/**
 * A model the server serves.
 *
 * @param id the model id
 * @param ownedBy the owner, when sent
 * @param maxModelLen the context length, or -1
 */
public record ModelInfo(String id, @Nullable String ownedBy, long maxModelLen) {}
