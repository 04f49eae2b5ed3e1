package dev.inferscope.core;

import java.util.List;

final class NoGpuStateSource implements GpuStateSource {
  static final NoGpuStateSource INSTANCE = new NoGpuStateSource();

  private NoGpuStateSource() {}

  @Override
  public List<GpuSnapshot> latest() {
    return List.of();
  }

  @Override
  public boolean available() {
    return false;
  }

  @Override
  public String unavailableReason() {
    return "no GPU state source configured";
  }

  @Override
  public String name() {
    return "none";
  }
}
