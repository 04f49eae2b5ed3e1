/**
 * Internal implementation of the vLLM client. Not public API: anything here may change or disappear in
 * any release without notice.
 */
@NullMarked
package dev.inferscope.vllm.internal;

import org.jspecify.annotations.NullMarked;
