package dev.inferscope.spring.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Registers one client bean per configured endpoint ({@code inferscope.<system>.endpoints.<name>}),
 * named after the endpoint, so that it can be injected with {@code @Qualifier("name")}. A bean the
 * application already defined under that name wins (the starter's is not registered). The beans are
 * created by the system's client factory, and closed by the container on shutdown.
 *
 * @param <E> the endpoint properties type
 * @param <C> the client type
 * @param <F> the factory type
 */
final class EndpointClientRegistrar<E, C, F> implements BeanDefinitionRegistryPostProcessor, EnvironmentAware {
  /** Bean definition attribute naming the system of a starter-registered client. */
  static final String SYSTEM_ATTRIBUTE = "dev.inferscope.spring.system";

  private static final Log LOG = LogFactory.getLog(EndpointClientRegistrar.class);

  private final String system;
  private final Class<E> endpointType;
  private final Class<C> clientType;
  private final Class<F> factoryType;
  private final BiFunction<String, E, Map<String, String>> beanNames;
  private final Function<F, BiFunction<String, String, C>> create;
  private Environment environment;

  /**
   * @param system {@code triton} or {@code vllm}
   * @param endpointType the endpoint properties record
   * @param clientType the client class
   * @param factoryType the factory bean class
   * @param beanNames for one endpoint, bean name → variant passed to the factory
   * @param create given the factory: (endpoint name, variant) → client
   */
  EndpointClientRegistrar(String system, Class<E> endpointType, Class<C> clientType, Class<F> factoryType,
      BiFunction<String, E, Map<String, String>> beanNames, Function<F, BiFunction<String, String, C>> create) {
    this.system = system;
    this.endpointType = endpointType;
    this.clientType = clientType;
    this.factoryType = factoryType;
    this.beanNames = beanNames;
    this.create = create;
  }

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  Map<String, E> endpoints() {
    return Binder.get(environment)
        .bind("inferscope." + system + ".endpoints", Bindable.mapOf(String.class, endpointType))
        .orElseGet(Map::of);
  }

  @Override
  public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
    if (!(registry instanceof BeanFactory beanFactory)) {
      throw new IllegalStateException("inferscope: cannot register " + system + " clients in " + registry);
    }
    for (Map.Entry<String, E> endpoint : new java.util.TreeMap<>(endpoints()).entrySet()) {
      Map<String, String> names = new LinkedHashMap<>(beanNames.apply(endpoint.getKey(), endpoint.getValue()));
      for (Map.Entry<String, String> bean : names.entrySet()) {
        String beanName = bean.getKey();
        if (registry.containsBeanDefinition(beanName)) {
          BeanDefinition existing = registry.getBeanDefinition(beanName);
          Object owner = existing.getAttribute(SYSTEM_ATTRIBUTE);
          if (owner != null) {
            throw new IllegalStateException("inferscope: endpoint name '" + beanName + "' is used by both "
                + owner + " and " + system + " endpoints; endpoint names must be unique");
          }
          LOG.info("inferscope: the application defines bean '" + beanName + "'; not registering the "
              + system + " client of the endpoint of that name");
          continue;
        }
        String endpointName = endpoint.getKey();
        String variant = bean.getValue();
        Supplier<C> supplier = () -> create.apply(beanFactory.getBean(factoryType)).apply(endpointName, variant);
        RootBeanDefinition definition = new RootBeanDefinition(clientType, supplier);
        definition.setAttribute(SYSTEM_ATTRIBUTE, system);
        definition.setDescription("Inferscope " + system + " client of endpoint '" + endpointName + "'");
        registry.registerBeanDefinition(beanName, definition);
      }
    }
  }
}
