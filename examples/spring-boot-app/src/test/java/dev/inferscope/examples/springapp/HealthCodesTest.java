package dev.inferscope.examples.springapp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;

/**
 * The example maps the inference contributor's DEGRADED to 200; a DOWN application still answers 503 on
 * {@code /actuator/health} (what {@code curl -w '%{http_code}'} prints), so Kubernetes takes it out of
 * rotation.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "example.health-test=down")
class HealthCodesTest {
  @LocalServerPort
  int port;

  @TestConfiguration
  static class Down {
    @Bean
    HealthIndicator brokenDependency() {
      return () -> Health.down().withDetail("reason", "test").build();
    }
  }

  @Test
  void aDownAppAnswers503EvenWithDegradedMappedTo200() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
            .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.body()).contains("\"status\":\"DOWN\"");
    assertThat(r.statusCode()).isEqualTo(503);
  }
}
