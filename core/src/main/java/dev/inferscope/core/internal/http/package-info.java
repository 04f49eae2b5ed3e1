/**
 * Inferscope's one HTTP layer, used by the Triton HTTP transport, the vLLM client and the Prometheus
 * scraper: every way of sending (blocking, asynchronous, streamed) keeps the same deadline, the same
 * size cap and the same status classification. Internal API: not for use outside Inferscope's own
 * modules, may change without notice.
 */
@NullMarked
package dev.inferscope.core.internal.http;

import org.jspecify.annotations.NullMarked;
