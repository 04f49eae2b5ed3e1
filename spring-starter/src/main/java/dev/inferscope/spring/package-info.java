/**
 * Spring Boot integration of Inferscope: the {@code inferscope.*} properties, the endpoint registry,
 * per-model call statistics, client-perceived health and the {@code inference} actuator endpoint. The
 * auto-configuration lives in {@code dev.inferscope.spring.autoconfigure}.
 */
@NullMarked
package dev.inferscope.spring;

import org.jspecify.annotations.NullMarked;
