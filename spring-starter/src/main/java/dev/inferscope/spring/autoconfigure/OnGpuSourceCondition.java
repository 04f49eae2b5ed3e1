package dev.inferscope.spring.autoconfigure;

import dev.inferscope.spring.InferscopeProperties;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when {@code inferscope.gpu.source} names a source other than {@code none}. */
final class OnGpuSourceCondition extends SpringBootCondition {
  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    InferscopeProperties.GpuSourceType type = Binder.get(context.getEnvironment())
        .bind("inferscope.gpu.source", InferscopeProperties.GpuSourceType.class)
        .orElse(InferscopeProperties.GpuSourceType.NONE);
    return type == InferscopeProperties.GpuSourceType.NONE
        ? ConditionOutcome.noMatch("inferscope.gpu.source is none")
        : ConditionOutcome.match("inferscope.gpu.source is " + type);
  }
}
