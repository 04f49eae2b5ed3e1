package dev.inferscope.core;

/** The version of Inferscope, for instrumentation scopes and user agents. */
public final class Version {
  /** The version string. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  private Version() {}
}
