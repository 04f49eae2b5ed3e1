package dev.inferscope.core.prometheus;

import java.util.Objects;

/**
 * One successful scrape.
 *
 * @param text the parsed exposition
 * @param scrapedAtNanos when the body finished arriving, on the scraper's clock's {@code nanoTime()}
 * @param durationNanos how long the scrape took
 * @param bytes the size of the body
 */
public record ScrapeResult(PrometheusText text, long scrapedAtNanos, long durationNanos, long bytes) {
  public ScrapeResult {
    Objects.requireNonNull(text, "text");
  }
}
