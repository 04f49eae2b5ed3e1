package dev.inferscope.spring;

import dev.inferscope.vllm.VllmClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.beans.factory.BeanFactory;

/**
 * The vLLM clients of the configured endpoints ({@code inferscope.vllm.endpoints.<name>}), by endpoint
 * name. Each is also a bean of that name, injectable with {@code @Qualifier("name")}; this holder is for
 * code that picks an endpoint at run time. The container owns and closes the clients.
 */
public final class VllmClients {
  private final BeanFactory beanFactory;
  private final List<String> names;

  /**
   * Creates the holder.
   *
   * @param beanFactory where the client beans live
   * @param names the configured endpoint names
   */
  public VllmClients(BeanFactory beanFactory, List<String> names) {
    this.beanFactory = Objects.requireNonNull(beanFactory, "beanFactory");
    this.names = List.copyOf(names);
  }

  /**
   * The client of endpoint {@code name}.
   *
   * @throws IllegalArgumentException when no such endpoint is configured
   */
  public VllmClient get(String name) {
    if (!names.contains(name)) {
      throw new IllegalArgumentException("no vLLM endpoint named '" + name + "' is configured; known: " + names);
    }
    return beanFactory.getBean(name, VllmClient.class);
  }

  /** The configured endpoint names, sorted. */
  public List<String> names() {
    return names;
  }

  /** Every client by endpoint name. */
  public Map<String, VllmClient> asMap() {
    Map<String, VllmClient> all = new LinkedHashMap<>();
    for (String n : names) {
      all.put(n, get(n));
    }
    return all;
  }

  @Override
  public String toString() {
    return "VllmClients" + names;
  }
}
