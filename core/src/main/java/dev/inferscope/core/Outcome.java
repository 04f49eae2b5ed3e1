package dev.inferscope.core;

/** How a call ended; the value of the {@code outcome} tag and log field. */
public enum Outcome {
  /** The call completed. */
  SUCCESS("success"),
  /** The call failed. */
  ERROR("error"),
  /** The caller cancelled the call. */
  CANCELLED("cancelled");

  private final String value;

  Outcome(String value) {
    this.value = value;
  }

  /** The tag value. */
  public String value() {
    return value;
  }
}
