package dev.inferscope.vllm;

import org.jspecify.annotations.Nullable;

/**
 * One document's place in a rerank.
 *
 * @param index the document's position in the request
 * @param relevanceScore its relevance to the query (higher is more relevant)
 * @param document the document's text when the server echoes it (payload: never recorded), else {@code null}
 */
public record RerankResult(int index, double relevanceScore, @Nullable String document) {
  @Override
  public String toString() {
    return "RerankResult[index=" + index + ", relevanceScore=" + relevanceScore + "]";
  }
}
