/**
 * Reading Prometheus metrics: a tolerant parser for the Prometheus text exposition format (0.0.4) and
 * the basics of OpenMetrics, and a background {@link dev.inferscope.core.prometheus.PrometheusScraper}.
 * Used to read Triton's, vLLM's and dcgm-exporter's {@code /metrics}.
 */
@NullMarked
package dev.inferscope.core.prometheus;

import org.jspecify.annotations.NullMarked;
