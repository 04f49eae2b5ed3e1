package dev.inferscope.vllm;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-time warning for request fields a current vLLM no longer reads. vLLM 0.12 removed the
 * {@code guided_json}, {@code guided_regex}, {@code guided_choice}, {@code guided_grammar} (and related)
 * fields in favour of {@code structured_outputs} (vllm-project/vllm {@code docs/features/structured_outputs.md});
 * its request models ignore unknown fields, so a request that still sends them is answered without the
 * constraint and nothing says so. Each name is warned about once per JVM; every such call's span carries
 * {@code inference.request.removed_params}.
 */
final class RemovedParams {
  private static final Logger LOG = LoggerFactory.getLogger(VllmClient.class);
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  private RemovedParams() {}

  static void warnOnce(List<String> names) {
    for (String n : names) {
      if (WARNED.add(n)) {
        LOG.warn("inferscope: request field {} was removed in vLLM 0.12 and is ignored by current servers, so the "
            + "output is not constrained; use StructuredOutputs (structured_outputs) instead", n);
      }
    }
  }

  /** Whether {@code name} has been warned about (for tests). */
  static boolean warned(String name) {
    return WARNED.contains(name);
  }
}
