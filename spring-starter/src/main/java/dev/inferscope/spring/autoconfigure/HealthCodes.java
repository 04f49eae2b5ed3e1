package dev.inferscope.spring.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The health endpoint's status-to-HTTP mapping with Spring Boot's 503 for DOWN and OUT_OF_SERVICE kept. */
final class HealthCodes {
  private HealthCodes() {}

  /**
   * {@code configured} plus {@code down=503} and {@code out-of-service=503} where it does not map them
   * (compared as Spring Boot compares status codes: case and separators ignored); empty stays empty, which
   * Spring Boot's mapper reads as its defaults.
   */
  static Map<String, Integer> withDownDefaults(Map<String, Integer> configured) {
    if (configured.isEmpty()) {
      return Map.of();
    }
    Map<String, Integer> out = new LinkedHashMap<>(configured);
    boolean down = false;
    boolean outOfService = false;
    for (String k : configured.keySet()) {
      String u = uniform(k);
      down |= u.equals("down");
      outOfService |= u.equals("outofservice");
    }
    if (!down) {
      out.put("down", 503);
    }
    if (!outOfService) {
      out.put("out-of-service", 503);
    }
    return out;
  }

  private static String uniform(String code) {
    StringBuilder sb = new StringBuilder(code.length());
    for (char c : code.toCharArray()) {
      if (Character.isLetterOrDigit(c)) {
        sb.append(Character.toLowerCase(c));
      }
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }
}
