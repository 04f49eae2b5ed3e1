/**
 * Internal implementation of the GPU reader. Not public API: anything here may change or disappear in
 * any release without notice.
 */
@NullMarked
package dev.inferscope.gpu.internal;

import org.jspecify.annotations.NullMarked;
