package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.GpuStateSource;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;

/**
 * Resolves an endpoint's {@code gpu-source} property: a {@link GpuStateSource} bean name, {@code none},
 * or unset for the application-wide source.
 */
final class GpuSources {
  private final BeanFactory beans;

  GpuSources(BeanFactory beans) {
    this.beans = beans;
  }

  /**
   * The source for {@code name}, or {@code null} (the telemetry's default) when unset.
   *
   * @throws IllegalStateException naming {@code property} when no such bean exists
   */
  @Nullable GpuStateSource resolve(String property, @Nullable String name) {
    if (name == null || name.isBlank()) {
      return null;
    }
    if (name.equals("none")) {
      return GpuStateSource.none();
    }
    try {
      return beans.getBean(name, GpuStateSource.class);
    } catch (NoSuchBeanDefinitionException e) {
      throw new IllegalStateException(property + "=" + name + ": there is no GpuStateSource bean of that name"
          + " (or use 'none')", e);
    }
  }
}
