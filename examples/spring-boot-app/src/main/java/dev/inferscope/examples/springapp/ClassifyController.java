package dev.inferscope.examples.springapp;

import dev.inferscope.core.ErrorType;
import dev.inferscope.core.InferenceException;
import dev.inferscope.triton.InferRequest;
import dev.inferscope.triton.InferResult;
import dev.inferscope.triton.Tensor;
import dev.inferscope.triton.TritonClient;
import java.util.List;
import java.util.Random;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /classify}: an image-classification style call to the {@code vision} Triton endpoint. The
 * body carries a seed; the service makes a 1×3×32×32 FP32 "image" from it (a real service would decode
 * an upload) and returns the index and score of the largest output.
 */
@RestController
class ClassifyController {
  private static final long[] SHAPE = {1, 3, 32, 32};

  private final TritonClient vision;
  private final String model;

  ClassifyController(@Qualifier("vision") TritonClient vision, @Value("${example.classify.model:resnet50}") String model) {
    this.vision = vision;
    this.model = model;
  }

  /** The request: a seed for the synthetic image. */
  record Image(long seed) {}

  /** The answer. */
  record Classification(String model, int label, float score) {}

  @PostMapping("/classify")
  Classification classify(@RequestBody(required = false) Image image) {
    Random random = new Random(image == null ? 0 : image.seed());
    float[] pixels = new float[3 * 32 * 32];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = random.nextFloat();
    }
    InferResult result = vision.infer(InferRequest.builder(model).input(Tensor.fp32("INPUT0", SHAPE, pixels))
        // the top class's softmax probability: low-confidence calls are always logged, and the quality
        // dashboard shows the mean and the low-confidence share per model
        .confidence(ClassifyController::topProbability)
        .build());
    List<Tensor> outputs = result.outputs();
    if (outputs.isEmpty()) {
      throw InferenceException.of(ErrorType.PROTOCOL, "the model returned no output");
    }
    float[] scores = outputs.get(0).asFloats();
    int best = 0;
    for (int i = 1; i < scores.length; i++) {
      if (scores[i] > scores[best]) {
        best = i;
      }
    }
    return new Classification(result.model(), best, scores.length == 0 ? Float.NaN : scores[best]);
  }

  /** The largest softmax probability of the first output, or NaN without one. */
  static double topProbability(InferResult result) {
    if (result.outputs().isEmpty()) {
      return Double.NaN;
    }
    float[] s = result.outputs().get(0).asFloats();
    double max = Double.NEGATIVE_INFINITY;
    for (float v : s) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : s) {
      sum += Math.exp(v - max);
    }
    return s.length == 0 ? Double.NaN : 1 / sum;
  }
}
