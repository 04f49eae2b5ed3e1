package dev.inferscope.triton;

import org.jspecify.annotations.Nullable;

/**
 * One entry of the model repository index.
 *
 * @param name the model
 * @param version its version, or {@code null}
 * @param state e.g. {@code READY}, {@code UNAVAILABLE}
 * @param reason why it is in that state, or {@code null}
 */
public record RepositoryModel(String name, @Nullable String version, @Nullable String state, @Nullable String reason) {}
