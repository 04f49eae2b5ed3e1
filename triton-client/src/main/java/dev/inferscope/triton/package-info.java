/**
 * An observable client for NVIDIA Triton Inference Server (KServe v2 protocol) over gRPC and HTTP. Start
 * with {@link dev.inferscope.triton.TritonClient#grpc(String)} or
 * {@link dev.inferscope.triton.TritonClient#http(java.net.URI)}.
 */
@NullMarked
package dev.inferscope.triton;

import org.jspecify.annotations.NullMarked;
