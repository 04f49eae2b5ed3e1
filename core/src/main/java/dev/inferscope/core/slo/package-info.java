/**
 * Service-level objectives as the client experiences them: availability and latency per endpoint and
 * model, error budget and multi-window burn rates.
 */
@NullMarked
package dev.inferscope.core.slo;

import org.jspecify.annotations.NullMarked;
