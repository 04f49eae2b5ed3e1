package dev.inferscope.examples.springapp;

import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.context.Scope;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Tags every inference call a request makes with the A/B experiment and variant the request came with
 * ({@code X-Experiment}, {@code X-Variant}): it puts them in OpenTelemetry Baggage for the request, and
 * {@code inferscope.context.experiment-baggage-key} / {@code variant-baggage-key} make each call read
 * them. Only the experiments in {@code example.experiments} and variants {@code a}/{@code b} are taken:
 * a header is user input, and experiment and variant become meter tags.
 */
@Component
class ExperimentFilter extends OncePerRequestFilter {
  static final String EXPERIMENT_KEY = "ab.experiment";
  static final String VARIANT_KEY = "ab.variant";
  private static final Set<String> VARIANTS = Set.of("a", "b");

  private final Set<String> experiments;

  ExperimentFilter(@Value("${example.experiments:checkout-v2}") List<String> experiments) {
    this.experiments = Set.copyOf(experiments);
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String experiment = request.getHeader("X-Experiment");
    String variant = request.getHeader("X-Variant");
    if (experiment == null || variant == null || !experiments.contains(experiment) || !VARIANTS.contains(variant)) {
      chain.doFilter(request, response);
      return;
    }
    Baggage baggage = Baggage.current().toBuilder().put(EXPERIMENT_KEY, experiment).put(VARIANT_KEY, variant).build();
    try (Scope ignored = baggage.makeCurrent()) {
      chain.doFilter(request, response);
    }
  }
}
