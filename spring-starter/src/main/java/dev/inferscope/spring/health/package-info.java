/**
 * Health contributors of the Inferscope starter (need Spring Boot's {@code spring-boot-health} module):
 * the servers' readiness per endpoint and the client-perceived {@code inference} health.
 */
@NullMarked
package dev.inferscope.spring.health;

import org.jspecify.annotations.NullMarked;
