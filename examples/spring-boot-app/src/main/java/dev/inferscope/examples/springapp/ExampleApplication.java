package dev.inferscope.examples.springapp;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A small REST service that classifies images with a Triton model and chats through vLLM, both through
 * the Inferscope starter. On the default {@code simulators} profile it starts the testkit's Triton and
 * vLLM simulators in-process and points the starter at them.
 */
@SpringBootApplication
public class ExampleApplication {
  /** Starts the service. */
  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }
}
