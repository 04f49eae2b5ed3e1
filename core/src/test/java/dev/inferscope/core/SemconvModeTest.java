package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The RPC and hardware names each mode writes (semantic-conventions v1.44.0 and the names before it). */
class SemconvModeTest {
  private final TelemetryFixture fx = new TelemetryFixture();

  @AfterEach
  void close() {
    fx.close();
  }

  private Attributes span(SemconvMode mode, int status) {
    InferenceTelemetry t = fx.telemetry().rpcSemconv(mode).logPolicy(LogPolicy.disabled())
        .gpuStateSource(GpuStateSource.fixed(List.of(new GpuSnapshot("GPU-1", 0, "gpu", 0.5, 1, 2, 100, 40,
            System.nanoTime(), "test", false))))
        .build();
    Call call = t.start(CallDescriptor.builder(InferenceSystem.TRITON, "infer", "m")
        .rpc("inference.GRPCInferenceService", "ModelInfer").build());
    call.grpcStatusCode(status);
    call.end();
    Attributes a = fx.onlySpan().getAttributes();
    fx.spans.reset();
    return a;
  }

  private static String str(Attributes a, String key) {
    return a.get(AttributeKey.stringKey(key));
  }

  @Test
  void eachModeWritesItsNames() {
    Attributes current = span(SemconvMode.NEW, 4);
    assertThat(str(current, "rpc.system.name")).isEqualTo("grpc");
    assertThat(str(current, "rpc.method")).isEqualTo("inference.GRPCInferenceService/ModelInfer");
    assertThat(str(current, "rpc.response.status_code")).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(str(current, "hw.id")).isEqualTo("GPU-1");
    assertThat(str(current, "rpc.system")).isNull();
    assertThat(str(current, "rpc.service")).isNull();
    assertThat(current.get(AttributeKey.longKey("rpc.grpc.status_code"))).isNull();
    assertThat(str(current, "hw.gpu.id")).isNull();

    Attributes old = span(SemconvMode.OLD, 0);
    assertThat(str(old, "rpc.system")).isEqualTo("grpc");
    assertThat(str(old, "rpc.service")).isEqualTo("inference.GRPCInferenceService");
    assertThat(str(old, "rpc.method")).isEqualTo("ModelInfer");
    assertThat(old.get(AttributeKey.longKey("rpc.grpc.status_code"))).isZero();
    assertThat(str(old, "hw.gpu.id")).isEqualTo("GPU-1");
    assertThat(str(old, "rpc.system.name")).isNull();
    assertThat(str(old, "rpc.response.status_code")).isNull();
    assertThat(str(old, "hw.id")).isNull();

    Attributes both = span(SemconvMode.DUP, 14);
    assertThat(str(both, "rpc.system")).isEqualTo("grpc");
    assertThat(str(both, "rpc.system.name")).isEqualTo("grpc");
    assertThat(str(both, "rpc.service")).isEqualTo("inference.GRPCInferenceService");
    // one key in both sets: it takes the current, fully-qualified value
    assertThat(str(both, "rpc.method")).isEqualTo("inference.GRPCInferenceService/ModelInfer");
    assertThat(both.get(AttributeKey.longKey("rpc.grpc.status_code"))).isEqualTo(14L);
    assertThat(str(both, "rpc.response.status_code")).isEqualTo("UNAVAILABLE");
    assertThat(str(both, "hw.id")).isEqualTo("GPU-1");
    assertThat(str(both, "hw.gpu.id")).isEqualTo("GPU-1");
  }

  @Test
  void theModeComesFromTheOptInStyleSettings() {
    assertThat(SemconvMode.rpc(null, null)).isEqualTo(SemconvMode.NEW);
    assertThat(SemconvMode.rpc(null, "http, rpc/dup")).isEqualTo(SemconvMode.DUP);
    assertThat(SemconvMode.rpc(null, "rpc")).isEqualTo(SemconvMode.NEW);
    assertThat(SemconvMode.rpc("old", "rpc/dup")).isEqualTo(SemconvMode.OLD);
    assertThat(SemconvMode.rpc(" DUP ", null)).isEqualTo(SemconvMode.DUP);
    assertThatThrownBy(() -> SemconvMode.rpc("legacy", null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("old, new or dup");
    assertThat(SemconvMode.grpcStatusName(16)).isEqualTo("UNAUTHENTICATED");
    assertThat(SemconvMode.grpcStatusName(99)).isEqualTo("_OTHER");
  }
}
