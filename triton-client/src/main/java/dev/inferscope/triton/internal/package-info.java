/**
 * Internal implementation of the Triton client. Not public API: anything here may change or disappear
 * in any release without notice.
 */
@NullMarked
package dev.inferscope.triton.internal;

import org.jspecify.annotations.NullMarked;
