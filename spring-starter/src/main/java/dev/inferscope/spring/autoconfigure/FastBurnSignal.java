package dev.inferscope.spring.autoconfigure;

import java.util.List;

/**
 * Which endpoints and models burn their error budget fast right now ({@code endpoint/model} each). The
 * starter provides one backed by core's SLO tracker; an application may define its own bean.
 */
@FunctionalInterface
public interface FastBurnSignal {
  /** The {@code endpoint/model} pairs whose error budget burns fast; empty when none. Must not throw. */
  List<String> fastBurning();
}
