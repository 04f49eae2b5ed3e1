package dev.inferscope.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferscope.testkit.SimulatedModel;
import dev.inferscope.testkit.triton.TritonSimulator;
import dev.inferscope.triton.TritonClient;
import dev.inferscope.triton.protocol.GRPCInferenceServiceGrpc;
import dev.inferscope.triton.protocol.ServerLiveRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.grpc.client.autoconfigure.CompositeChannelFactoryAutoConfiguration;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientAutoConfiguration;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientObservationAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GlobalClientInterceptor;
import org.springframework.grpc.client.GrpcChannelFactory;

/**
 * With Spring gRPC's client support active (global interceptors, the Micrometer observation interceptor),
 * a Triton call through the starter's client produces exactly one CLIENT span, Inferscope's: the Triton
 * channel is not built by Spring gRPC's channel factory, so no global interceptor sees the call.
 */
class SpringGrpcSingleSpanTest {
  private static TritonSimulator sim;

  @BeforeAll
  static void start() {
    sim = TritonSimulator.builder()
        .model(SimulatedModel.builder("echo").input("INPUT0", "FP32", 1, 4).build())
        .start();
  }

  @AfterAll
  static void stop() {
    sim.close();
  }

  @Test
  void oneSpanPerTritonCallEvenWithSpringGrpcsGlobalInterceptors() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(InferscopeAutoConfiguration.class,
            InferscopeTritonAutoConfiguration.class, GrpcClientAutoConfiguration.class,
            GrpcClientObservationAutoConfiguration.class, CompositeChannelFactoryAutoConfiguration.class,
            SslAutoConfiguration.class))
        .withUserConfiguration(Tracing.class)
        .withPropertyValues("inferscope.triton.endpoints.vision.grpc-target=" + sim.grpcTarget())
        .run(ctx -> {
          assertThat(ctx).hasNotFailed();
          Tracing tracing = ctx.getBean(Tracing.class);

          // positive control: a channel from Spring gRPC's factory does go through its global interceptors
          ManagedChannel spring = ctx.getBean(GrpcChannelFactory.class).createChannel(sim.grpcTarget());
          try {
            GRPCInferenceServiceGrpc.newBlockingStub(spring).withDeadlineAfter(5, TimeUnit.SECONDS)
                .serverLive(ServerLiveRequest.getDefaultInstance());
          } finally {
            spring.shutdownNow();
          }
          assertThat(tracing.intercepted).hasValue(1);
          assertThat(tracing.observations).hasSize(1);

          // the starter's Triton client: only Inferscope's span
          TritonClient vision = (TritonClient) ctx.getBean("vision");
          vision.infer(InferscopeTritonAutoConfigurationTest.request("echo"));
          assertThat(tracing.intercepted).as("global interceptor calls").hasValue(1);
          assertThat(tracing.observations).as("gRPC client observations").hasSize(1);
          List<SpanData> spans = tracing.exporter.getFinishedSpanItems();
          assertThat(spans).filteredOn(s -> s.getKind() == SpanKind.CLIENT).singleElement()
              .satisfies(s -> assertThat(s.getName()).isEqualTo("infer echo"));
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class Tracing {
    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final AtomicInteger intercepted = new AtomicInteger();
    final List<String> observations = new CopyOnWriteArrayList<>();

    @Bean
    OpenTelemetry openTelemetry() {
      return OpenTelemetrySdk.builder()
          .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
          .build();
    }

    @Bean
    ObservationRegistry observationRegistry() {
      ObservationRegistry registry = ObservationRegistry.create();
      registry.observationConfig().observationHandler(new ObservationHandler<Observation.Context>() {
        @Override
        public void onStart(Observation.Context context) {
          observations.add(context.getName());
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
          return true;
        }
      });
      return registry;
    }

    @Bean
    @GlobalClientInterceptor
    ClientInterceptor countingInterceptor() {
      return new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
          intercepted.incrementAndGet();
          return next.newCall(method, options);
        }
      };
    }
  }
}
