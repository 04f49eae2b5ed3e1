/**
 * Auto-configuration of the Inferscope Spring Boot starter. The classes here are wired by Spring Boot
 * through {@code META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports};
 * applications use the properties and customizer interfaces, not the configuration classes.
 */
@NullMarked
package dev.inferscope.spring.autoconfigure;

import org.jspecify.annotations.NullMarked;
