package dev.inferscope.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class InferenceExceptionTest {

  @Test
  void retryableFollowsTheTypeUnlessOverridden() {
    assertThat(InferenceException.of(ErrorType.UNAVAILABLE, "x").retryable()).isTrue();
    assertThat(InferenceException.of(ErrorType.INVALID_ARGUMENT, "x").retryable()).isFalse();
    InferenceException e = InferenceException.of(ErrorType.UNAVAILABLE, "x");
    assertThat(e.notRetryable().retryable()).isFalse();
    assertThat(e.notRetryable().errorType()).isEqualTo(ErrorType.UNAVAILABLE);
  }

  @Test
  void copiesKeepEverythingAndAddCounts() {
    InferenceException e = InferenceException.builder(ErrorType.UNAVAILABLE, "stream broke")
        .serverCode("14").serverMessage("socket closed").retryAfter(Duration.ofSeconds(1)).build();
    InferenceException copy = e.withAttempts(3).withChunksReceived(7);
    assertThat(copy.attempts()).isEqualTo(3);
    assertThat(copy.chunksReceived()).isEqualTo(7);
    assertThat(copy.serverCode()).isEqualTo("14");
    assertThat(copy.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(copy.getMessage()).isEqualTo(
        "UNAVAILABLE: stream broke [server code 14] server said: socket closed (after 7 chunks) (after 3 attempts)");
  }

  @Test
  void classifiesForeignThrowablesWithoutCopyingTheirMessages() {
    assertThat(InferenceException.from(new CancellationException()).errorType()).isEqualTo(ErrorType.CANCELLED);
    assertThat(InferenceException.from(new InterruptedException()).errorType()).isEqualTo(ErrorType.CANCELLED);
    assertThat(InferenceException.from(new CompletionException(new TimeoutException("t"))).errorType())
        .isEqualTo(ErrorType.DEADLINE_EXCEEDED);
    InferenceException inner = InferenceException.of(ErrorType.NOT_FOUND, "no model");
    assertThat(InferenceException.from(new CompletionException(inner))).isSameAs(inner);
    InferenceException unknown = InferenceException.from(new IllegalStateException("secret prompt"));
    assertThat(unknown.errorType()).isEqualTo(ErrorType.UNKNOWN);
    assertThat(unknown.getMessage()).doesNotContain("secret prompt").contains("IllegalStateException");
  }

  @Test
  void scrubberRedactsQuotesControlCharsAndCaps() {
    assertThat(MessageScrubber.scrub("unexpected value 'secret' for input \"x\"")).isEqualTo(
        "unexpected value <redacted> for input <redacted>");
    assertThat(MessageScrubber.scrub("the model's limit is 10")).isEqualTo("the model's limit is 10");
    assertThat(MessageScrubber.scrub("a\nb\u0000c")).isEqualTo("a b c");
    String huge = MessageScrubber.scrub("z".repeat(1_000_000));
    assertThat(huge).hasSize(MessageScrubber.DEFAULT_MAX_LENGTH);
    assertThat(huge).endsWith("...");
    assertThat(MessageScrubber.scrub("open quote 'never closed " + "q".repeat(50))).isEqualTo("open quote <redacted>");
  }

  @Test
  void urlSanitizerDropsUserInfoQueryAndFragment() {
    assertThat(UrlSanitizer.sanitize("https://u:p@h:1/a/b?key=s#f")).isEqualTo("https://h:1/a/b");
    assertThat(UrlSanitizer.sanitize("http://h/v2/models/m/infer")).isEqualTo("http://h/v2/models/m/infer");
  }
}
