"""Prints the comparison table of a JMH JSON result file (benchmarks/run-quick.sh)."""
import json
import sys

rows = json.load(open(sys.argv[1]))
res = {}
for r in rows:
    name = r["benchmark"].split(".")[-2] + "." + r["benchmark"].split(".")[-1]
    params = r.get("params") or {}
    if params:
        name += "[" + ",".join(f"{v}" for v in params.values()) + "]"
    pm = r["primaryMetric"]
    alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
    res[name] = (pm["score"], pm["scoreError"], pm["scoreUnit"], alloc)

def show(name):
    s, e, u, a = res[name]
    a = "" if a is None else f"{a:,.0f} B/op"
    print(f"  {name:62s} {s:14,.3f} ± {e:10,.3f} {u:10s} {a}")

print("\n== all results ==")
for n in sorted(res):
    show(n)

print("\n== ratios (same run) ==")
for t in ("loopback", "inprocess"):
    a = res.get(f"UnaryInferBenchmark.a_rawStub[{t}]")
    b = res.get(f"UnaryInferBenchmark.b_otelAndMicrometerInterceptors[{t}]")
    c = res.get(f"UnaryInferBenchmark.c_inferscopeFullTelemetry[{t}]")
    if a and b and c:
        ta, tb, tc = 1e6 / a[0], 1e6 / b[0], 1e6 / c[0]  # microseconds per call
        print(f"  unary {t}: inferscope/raw throughput = {c[0] / a[0]:.3f}  (target >= 0.97)")
        print(f"  unary {t}: added time per call: inferscope {tc - ta:.1f} us, otel+micrometer {tb - ta:.1f} us "
              f"(target inferscope <= otel+micrometer)")
        if a[3] is not None and c[3] is not None:
            print(f"  unary {t}: allocation per call: raw {a[3]:,.0f} B, otel+micrometer {b[3]:,.0f} B, inferscope {c[3]:,.0f} B")
copy = res.get("TensorTransferBenchmark.baselineCopy")
if copy:
    for n in ("grpcEncode", "grpcDecode", "httpBinaryDecode"):
        r = res.get(f"TensorTransferBenchmark.{n}")
        if r:
            alloc = "" if r[3] is None else f", allocated {r[3] / (64 << 20):.2f}x payload"
            print(f"  64 MiB {n}: {copy[0] / r[0]:.2f}x copy bandwidth (target >= 0.5){alloc}")
    j = res.get("TensorTransferBenchmark.httpJsonDecode4MiB")
    if j:
        print(f"  JSON decode (4 MiB, scaled to 64 MiB): {copy[0] / (j[0] * 16):.3f}x copy bandwidth")
sse = res.get("SseBenchmark.parseEvents")
if sse:
    print(f"  SSE parse: {sse[0]:,.0f} events/s on one thread (target >= 2,000,000)")
g = res.get("HotPathBenchmark.gpuSnapshotAttach")
if g:
    print(f"  GPU snapshot attach: {g[0]:.1f} ns, {g[3] or 0:.0f} B/op (target: a volatile read, 0 B)")
