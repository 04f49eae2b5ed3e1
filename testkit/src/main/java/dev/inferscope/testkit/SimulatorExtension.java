package dev.inferscope.testkit;

import dev.inferscope.testkit.triton.TritonSimulator;

import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that starts a simulator before the tests and closes it after them: per class when
 * registered on a static field, per test otherwise.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final SimulatorExtension<TritonSimulator> TRITON = SimulatorExtension.of(() ->
 *     TritonSimulator.builder().model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).build()).start());
 *
 * @RegisterExtension
 * static final SimulatorExtension<VllmSimulator> VLLM = SimulatorExtension.of(VllmSimulator::start);
 * }</pre>
 *
 * @param <S> the simulator type
 */
public final class SimulatorExtension<S extends AutoCloseable>
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private final Supplier<S> starter;
  private @Nullable S simulator;
  private boolean perClass;

  private SimulatorExtension(Supplier<S> starter) {
    this.starter = Objects.requireNonNull(starter, "starter");
  }

  /** An extension that starts simulators with {@code starter}. */
  public static <S extends AutoCloseable> SimulatorExtension<S> of(Supplier<S> starter) {
    return new SimulatorExtension<>(starter);
  }

  /** The running simulator. */
  public S get() {
    S s = simulator;
    if (s == null) {
      throw new IllegalStateException("the simulator runs only while a test runs");
    }
    return s;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
    simulator = starter.get();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    close();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      simulator = starter.get();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    if (!perClass) {
      close();
    }
  }

  private void close() throws Exception {
    S s = simulator;
    simulator = null;
    if (s != null) {
      s.close();
    }
  }
}
