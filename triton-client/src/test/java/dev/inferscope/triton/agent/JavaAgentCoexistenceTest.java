package dev.inferscope.triton.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.core.InferenceTelemetry;
import dev.inferscope.testkit.agent.AgentJvm;
import dev.inferscope.testkit.agent.AgentJvm.ExportedSpan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inferscope under the OpenTelemetry Java agent (a child JVM with {@code -javaagent}), which also
 * instruments grpc-java and java.net.http. Chosen behaviour: one Inferscope CLIENT span per call (the
 * logical call, with phases and attempts), and the agent's transport CLIENT span as its child (the
 * physical request: one per attempt, as the OpenTelemetry HTTP conventions describe resends), in the same
 * trace as the server's span. Inferscope makes its span current while an attempt is sent; before that the
 * agent's spans and the server's parent were in a different trace from Inferscope's.
 */
class JavaAgentCoexistenceTest {
  @TempDir
  Path tmp;

  @Test
  void oneInferscopeClientSpanPerCallWithTheAgentsTransportSpanAsItsChild() throws Exception {
    AgentJvm.Result r = AgentJvm.run(AgentJvm.agentJar(), AgentCallsMain.class, Map.of(), Duration.ofSeconds(90), tmp);
    assertThat(r.exit()).as(r.output()).isZero();
    List<ExportedSpan> spans = r.spans();
    List<ExportedSpan> ours = spans.stream().filter(s -> s.scope().equals(InferenceTelemetry.INSTRUMENTATION_NAME))
        .toList();
    assertThat(ours).as(r.output()).extracting(ExportedSpan::name)
        .containsExactlyInAnyOrder("infer echo", "infer echo", "model_ready echo");
    assertThat(ours).allSatisfy(s -> {
      assertThat(s.kind()).isEqualTo(ExportedSpan.CLIENT);
      assertThat(s.isRoot()).isTrue();
    });
    Set<String> ourIds = ours.stream().map(ExportedSpan::spanId).collect(Collectors.toSet());
    Set<String> ourTraces = ours.stream().map(ExportedSpan::traceId).collect(Collectors.toSet());
    assertThat(ourTraces).hasSize(3);

    List<ExportedSpan> transport = spans.stream()
        .filter(s -> !s.scope().equals(InferenceTelemetry.INSTRUMENTATION_NAME) && s.kind() == ExportedSpan.CLIENT)
        .toList();
    // the agent's gRPC and java.net.http client spans: one per call, each a child of Inferscope's span
    assertThat(transport).as(r.output()).extracting(ExportedSpan::scope)
        .contains("io.opentelemetry.grpc-1.6", "io.opentelemetry.java-http-client");
    assertThat(transport).hasSize(3).allSatisfy(s -> assertThat(ourIds).as(s.name()).contains(s.parentSpanId()));
    // the server side joined the same traces, through the header the server received
    List<ExportedSpan> servers = spans.stream().filter(s -> s.kind() == ExportedSpan.SERVER).toList();
    assertThat(servers).isNotEmpty().allSatisfy(s -> assertThat(ourTraces).contains(s.traceId()));
    List<String> received = r.lines("TRACEPARENT");
    assertThat(received).hasSize(3).allSatisfy(tp -> assertThat(ourTraces).contains(tp.split("-")[1]));
  }
}
