package dev.inferscope.testkit.triton;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.inferscope.core.InferenceClock;
import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.ModelInferRequest;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The scheduler runs on the clock it is given: with a virtual clock, queue and compute are exact. */
class TritonSimulatorClockTest {
  /** Virtual time: sleeping advances it at once. */
  static final class VirtualClock implements InferenceClock {
    final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoTime() {
      return now.get();
    }

    @Override
    public long epochNanos() {
      return now.get();
    }

    @Override
    public void sleepNanos(long nanos) {
      now.addAndGet(nanos);
    }
  }

  @Test
  void computeAndTokensTakeExactlyTheirTimeOnTheGivenClock() {
    VirtualClock clock = new VirtualClock();
    long wallStart = System.nanoTime();
    try (TritonSimulator sim = TritonSimulator.builder().clock(clock)
        .model(SimulatedModel.builder("slow").input("INPUT0", "FP32", 1, 1).computeTime(Duration.ofSeconds(10)).build())
        .start()) {
      ManagedChannel channel = InProcessChannelBuilder.forName(sim.inProcessName()).build();
      try {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
        for (int i = 0; i < 3; i++) {
          stub.modelInfer(ModelInferRequest.newBuilder().setModelName("slow").setId("r" + i)
              .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                  .addShape(1).addShape(1))
              .addRawInputContents(ByteString.copyFrom(new byte[4])).build());
        }
      } finally {
        channel.shutdownNow();
      }
      TritonSimulator.GroundTruth truth = sim.groundTruth("slow");
      assertThat(truth.served()).isEqualTo(3);
      assertThat(truth.computeNanos()).isEqualTo(Duration.ofSeconds(30).toNanos());
      assertThat(truth.queueNanos()).isZero();
      assertThat(sim.requestTruth("r2").computeNanos()).isEqualTo(Duration.ofSeconds(10).toNanos());
    }
    // 30 virtual seconds of compute took no such wall time
    assertThat(System.nanoTime() - wallStart).isLessThan(Duration.ofSeconds(10).toNanos());
  }
}
