package dev.inferscope.spring.autoconfigure;

import dev.inferscope.core.GpuSnapshot;
import dev.inferscope.core.GpuStateSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@link GpuStateSource} that shows only the selected GPUs (by UUID or index) of another one. The
 * filtered list is computed once per new underlying list, so the request path stays allocation-free.
 * Closing it closes the underlying source.
 */
final class SelectedGpus implements GpuStateSource, AutoCloseable {
  private final GpuStateSource delegate;
  private final Set<String> selected;
  private volatile Cache cache = new Cache(List.of(), List.of());

  private record Cache(List<GpuSnapshot> from, List<GpuSnapshot> filtered) {}

  SelectedGpus(GpuStateSource delegate, Set<String> selected) {
    this.delegate = delegate;
    this.selected = Set.copyOf(selected);
  }

  @Override
  public List<GpuSnapshot> latest() {
    List<GpuSnapshot> all = delegate.latest();
    Cache c = cache;
    if (c.from() == all) {
      return c.filtered();
    }
    List<GpuSnapshot> out = new ArrayList<>(all.size());
    for (GpuSnapshot s : all) {
      if (selected.contains(s.id()) || (s.index() >= 0 && selected.contains(Integer.toString(s.index())))) {
        out.add(s);
      }
    }
    List<GpuSnapshot> filtered = List.copyOf(out);
    cache = new Cache(all, filtered);
    return filtered;
  }

  @Override
  public boolean available() {
    return delegate.available();
  }

  @Override
  public @Nullable String unavailableReason() {
    return delegate.unavailableReason();
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void close() throws Exception {
    if (delegate instanceof AutoCloseable c) {
      c.close();
    }
  }
}
