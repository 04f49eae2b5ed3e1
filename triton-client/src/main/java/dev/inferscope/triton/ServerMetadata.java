package dev.inferscope.triton;

import java.util.List;

/**
 * What the server says about itself.
 *
 * @param name the server name
 * @param version its version
 * @param extensions the protocol extensions it supports
 */
public record ServerMetadata(String name, String version, List<String> extensions) {
  public ServerMetadata {
    extensions = List.copyOf(extensions);
  }
}
