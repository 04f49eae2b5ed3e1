package dev.inferscope.core.drift;

/**
 * Drift of one model's feature: the current window against the reference.
 *
 * @param psi population stability index (NaN until both sides have data)
 * @param ks Kolmogorov-Smirnov statistic (numeric features only, else NaN)
 * @param ksPValue its asymptotic p-value (numeric features only, else NaN)
 * @param js Jensen-Shannon divergence in bits
 * @param referenceCount values in the reference
 * @param currentCount values in the current window
 */
public record DriftScores(double psi, double ks, double ksPValue, double js, int referenceCount, int currentCount) {}
