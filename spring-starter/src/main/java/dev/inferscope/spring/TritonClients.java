package dev.inferscope.spring;

import dev.inferscope.triton.TritonClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.beans.factory.BeanFactory;

/**
 * The Triton clients of the configured endpoints ({@code inferscope.triton.endpoints.<name>}), by endpoint
 * name. Each is also a bean of that name, injectable with {@code @Qualifier("name")} (an endpoint with both
 * {@code grpc-target} and {@code http-url} also has an HTTP client named {@code <name>-http}); this holder
 * is for code that picks an endpoint at run time. The container owns and closes the clients.
 */
public final class TritonClients {
  private final BeanFactory beanFactory;
  private final List<String> names;

  /**
   * Creates the holder.
   *
   * @param beanFactory where the client beans live
   * @param names the client bean names
   */
  public TritonClients(BeanFactory beanFactory, List<String> names) {
    this.beanFactory = Objects.requireNonNull(beanFactory, "beanFactory");
    this.names = List.copyOf(names);
  }

  /**
   * The client of endpoint {@code name}.
   *
   * @throws IllegalArgumentException when no such endpoint is configured
   */
  public TritonClient get(String name) {
    if (!names.contains(name)) {
      throw new IllegalArgumentException("no Triton endpoint named '" + name + "' is configured; known: " + names);
    }
    return beanFactory.getBean(name, TritonClient.class);
  }

  /** The configured endpoint names, sorted. */
  public List<String> names() {
    return names;
  }

  /** Every client by endpoint name. */
  public Map<String, TritonClient> asMap() {
    Map<String, TritonClient> all = new LinkedHashMap<>();
    for (String n : names) {
      all.put(n, get(n));
    }
    return all;
  }

  @Override
  public String toString() {
    return "TritonClients" + names;
  }
}
