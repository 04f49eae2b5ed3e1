/**
 * Internal implementation of Inferscope. Not public API: anything here may change or disappear in any
 * release without notice. Do not use it from outside Inferscope's own modules.
 */
@NullMarked
package dev.inferscope.core.internal;

import org.jspecify.annotations.NullMarked;
