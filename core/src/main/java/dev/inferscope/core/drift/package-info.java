/**
 * Drift and prediction quality: distribution monitors per model and feature comparing a reference with a
 * sliding current window (population stability index, two-sample Kolmogorov-Smirnov, Jensen-Shannon),
 * with bounded memory. Values fed in are never logged or traced.
 */
@NullMarked
package dev.inferscope.core.drift;

import org.jspecify.annotations.NullMarked;
