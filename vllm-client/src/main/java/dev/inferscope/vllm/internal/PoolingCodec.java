package dev.inferscope.vllm.internal;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.core.internal.Json;
import dev.inferscope.vllm.Classification;
import dev.inferscope.vllm.Classifications;
import dev.inferscope.vllm.Pooling;
import dev.inferscope.vllm.RerankResult;
import dev.inferscope.vllm.Reranking;
import dev.inferscope.vllm.Scores;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decodes vLLM's pooling-model answers: {@code /v1/rerank}, {@code /v1/score}, {@code /classify},
 * {@code /pooling} (shapes in vllm-project/vllm {@code vllm/entrypoints/pooling/}: {@code score/protocol.py},
 * {@code classify/protocol.py}, {@code pooling/protocol.py}). Wrong types are {@link ErrorType#PROTOCOL}.
 * Internal API: not for use outside Inferscope, may change without notice.
 */
public final class PoolingCodec {
  private PoolingCodec() {}

  public static Reranking rerank(byte[] body) {
    Map<String, Object> m = Json.parseObject(body, "rerank response");
    List<RerankResult> out = new ArrayList<>();
    for (Object o : Json.array(m, "results")) {
      Map<String, Object> r = Json.asObject(o, "rerank result");
      Map<String, Object> doc = Json.object(r, "document");
      out.add(new RerankResult((int) index(r), number(r, "relevance_score"), doc == null ? null : Json.string(doc, "text")));
    }
    return new Reranking(Json.string(m, "id"), Json.string(m, "model"), out, OpenAiCodec.usage(m));
  }

  public static Scores score(byte[] body) {
    Map<String, Object> m = Json.parseObject(body, "score response");
    List<Object> data = Json.array(m, "data");
    Double[] scores = new Double[data.size()];
    for (Object o : data) {
      Map<String, Object> d = Json.asObject(o, "score entry");
      int i = (int) index(d);
      if (i < 0 || i >= scores.length) {
        throw InferenceException.of(ErrorType.PROTOCOL, "score index out of range");
      }
      scores[i] = number(d, "score");
    }
    for (Double s : scores) {
      if (s == null) {
        throw InferenceException.of(ErrorType.PROTOCOL, "score response misses an index");
      }
    }
    return new Scores(Json.string(m, "model"), List.of(scores), OpenAiCodec.usage(m));
  }

  public static Classifications classify(byte[] body) {
    Map<String, Object> m = Json.parseObject(body, "classify response");
    List<Classification> out = new ArrayList<>();
    for (Object o : Json.array(m, "data")) {
      Map<String, Object> d = Json.asObject(o, "classification");
      List<Object> probs = Json.array(d, "probs");
      double[] p = new double[probs.size()];
      for (int i = 0; i < p.length; i++) {
        if (!(probs.get(i) instanceof Number n)) {
          throw InferenceException.of(ErrorType.PROTOCOL, "class probability is not a number");
        }
        p[i] = n.doubleValue();
      }
      out.add(new Classification((int) index(d), Json.string(d, "label"), p));
    }
    return new Classifications(Json.string(m, "model"), out, OpenAiCodec.usage(m));
  }

  public static Pooling pooling(byte[] body) {
    Map<String, Object> m = Json.parseObject(body, "pooling response");
    List<float[][]> out = new ArrayList<>();
    for (Object o : Json.array(m, "data")) {
      Map<String, Object> d = Json.asObject(o, "pooling entry");
      List<Object> data = Json.array(d, "data");
      boolean matrix = !data.isEmpty() && data.get(0) instanceof List<?>;
      float[][] rows = new float[matrix ? data.size() : 1][];
      if (matrix) {
        for (int i = 0; i < rows.length; i++) {
          if (!(data.get(i) instanceof List<?> row)) {
            throw InferenceException.of(ErrorType.PROTOCOL, "pooling output mixes rows and numbers");
          }
          rows[i] = floats(row);
        }
      } else {
        rows[0] = floats(data);
      }
      out.add(rows);
    }
    return new Pooling(Json.string(m, "model"), out, OpenAiCodec.usage(m));
  }

  private static float[] floats(List<?> values) {
    float[] f = new float[values.size()];
    for (int i = 0; i < f.length; i++) {
      if (!(values.get(i) instanceof Number n)) {
        throw InferenceException.of(ErrorType.PROTOCOL, "pooling value is not a number");
      }
      f[i] = n.floatValue();
    }
    return f;
  }

  private static long index(Map<String, Object> m) {
    long i = Json.longValue(m, "index", -1);
    if (i < 0) {
      throw InferenceException.of(ErrorType.PROTOCOL, "result without index");
    }
    return i;
  }

  private static double number(Map<String, Object> m, String key) {
    double v = Json.doubleValue(m, key);
    if (Double.isNaN(v)) {
      throw InferenceException.of(ErrorType.PROTOCOL, "result without " + key);
    }
    return v;
  }
}
