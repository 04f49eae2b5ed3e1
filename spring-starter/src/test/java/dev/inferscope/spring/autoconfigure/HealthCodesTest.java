package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Mapping DEGRADED to 200 keeps DOWN and OUT_OF_SERVICE at 503; explicit mappings win. */
class HealthCodesTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class,
          InferscopeHealthAutoConfiguration.class,
          org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration.class));

  @Test
  void downStays503WhenOnlyDegradedIsMapped() {
    runner.withPropertyValues("management.endpoint.health.status.http-mapping.degraded=200").run(ctx -> {
      HttpCodeStatusMapper m = ctx.getBean(HttpCodeStatusMapper.class);
      assertThat(m.getStatusCode(new Status("DEGRADED"))).isEqualTo(200);
      assertThat(m.getStatusCode(Status.DOWN)).isEqualTo(503);
      assertThat(m.getStatusCode(Status.OUT_OF_SERVICE)).isEqualTo(503);
      assertThat(m.getStatusCode(Status.UP)).isEqualTo(200);
    });
  }

  @Test
  void anExplicitMappingWinsAndNoMappingIsSpringBootsDefault() {
    runner.withPropertyValues("management.endpoint.health.status.http-mapping.degraded=200",
        "management.endpoint.health.status.http-mapping.out_of_service=200").run(ctx -> {
          HttpCodeStatusMapper m = ctx.getBean(HttpCodeStatusMapper.class);
          assertThat(m.getStatusCode(Status.OUT_OF_SERVICE)).isEqualTo(200);
          assertThat(m.getStatusCode(Status.DOWN)).isEqualTo(503);
        });
    runner.run(ctx -> {
      HttpCodeStatusMapper m = ctx.getBean(HttpCodeStatusMapper.class);
      assertThat(m.getStatusCode(Status.DOWN)).isEqualTo(503);
      assertThat(m.getStatusCode(Status.OUT_OF_SERVICE)).isEqualTo(503);
    });
    assertThat(HealthCodes.withDownDefaults(Map.of("DOWN", 500))).doesNotContainKey("down").containsEntry("DOWN", 500)
        .containsEntry("out-of-service", 503);
  }
}
