"""Prints the comparison table of a JMH JSON result file (benchmarks/run-quick.sh)."""
import json
import sys

rows = json.load(open(sys.argv[1]))
res = {}
per_token = {}  # name -> microseconds of process CPU per streamed token
pct = {}  # name -> sampled percentiles (Mode.SampleTime)
for r in rows:
    name = r["benchmark"].split(".")[-2] + "." + r["benchmark"].split(".")[-1]
    params = r.get("params") or {}
    if params:
        name += "[" + ",".join(f"{v}" for v in params.values()) + "]"
    pm = r["primaryMetric"]
    if pm.get("scorePercentiles"):
        pct[name] = pm["scorePercentiles"]
    sec = r.get("secondaryMetrics", {})
    alloc = sec.get("gc.alloc.rate.norm", {}).get("score")
    res[name] = (pm["score"], pm["scoreError"], pm["scoreUnit"], alloc)
    if "cpuNanos" in sec and "tokens" in sec and sec["tokens"]["score"] > 0:
        per_token[name] = sec["cpuNanos"]["score"] / sec["tokens"]["score"] / 1000.0

def show(name):
    s, e, u, a = res[name]
    a = "" if a is None else f"{a:,.0f} B/op"
    print(f"  {name:62s} {s:14,.3f} ± {e:10,.3f} {u:10s} {a}")

print("\n== all results ==")
for n in sorted(res):
    show(n)

print("\n== ratios (same run) ==")
aux = {}
for r in rows:
    if r["benchmark"].endswith(".paired"):
        sec = r.get("secondaryMetrics", {})
        aux[r["params"]["transport"]] = {k: sec[k]["score"] for k in ("rawNanos", "otelNanos", "inferscopeNanos", "rounds")}
        if "inferscopeNoTelemetryNanos" in sec:
            aux[r["params"]["transport"]]["noTelemetry"] = sec["inferscopeNoTelemetryNanos"]["score"]
for t, m in aux.items():
    n = m["rounds"]
    ta, tb, tc = m["rawNanos"] / n / 1000, m["otelNanos"] / n / 1000, m["inferscopeNanos"] / n / 1000
    print(f"  unary {t} (paired, {n:,.0f} rounds): raw {ta:.1f} us, otel+micrometer {tb:.1f} us, inferscope {tc:.1f} us per call")
    print(f"  unary {t} (paired): inferscope/raw throughput = {ta / tc:.3f} (target >= 0.97); added time per call: "
          f"inferscope {tc - ta:.1f} us, otel+micrometer {tb - ta:.1f} us (target inferscope <= otel+micrometer)")
    if "noTelemetry" in m:
        td = m["noTelemetry"] / n / 1000
        print(f"  unary {t} (paired): inferscope with telemetry off {td:.1f} us; what full telemetry adds: "
              f"{tc - td:.1f} us, otel+micrometer {tb - ta:.1f} us, ratio {(tc - td) / (tb - ta):.2f}; "
              f"the client without telemetry adds {td - ta:.1f} us")
for t in ("loopback", "inprocess"):
    a = res.get(f"UnaryInferBenchmark.a_rawStub[{t}]")
    b = res.get(f"UnaryInferBenchmark.b_otelAndMicrometerInterceptors[{t}]")
    c = res.get(f"UnaryInferBenchmark.c_inferscopeFullTelemetry[{t}]")
    if a and b and c:
        ta, tb, tc = 1e6 / a[0], 1e6 / b[0], 1e6 / c[0]  # microseconds per call
        print(f"  unary {t} (separate forks, noisy): inferscope/raw throughput = {c[0] / a[0]:.3f}")
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
for regime in sorted({k.split("[", 1)[1].split(",", 1)[1] for k in per_token
                      if k.startswith("StreamingClientBenchmark.stream[")}):
    ours = per_token.get(f"StreamingClientBenchmark.stream[inferscope,{regime}")
    theirs = per_token.get(f"StreamingClientBenchmark.stream[openai,{regime}")
    if ours and theirs:
        gap, streams = regime.rstrip("]").split(",")
        pace = "unpaced (saturated)" if gap == "0" else f"paced, {gap} us gap"
        print(f"  streaming CPU per token, {streams} stream(s), {pace}: inferscope {ours:.2f} us, "
              f"openai-java {theirs:.2f} us, ratio {ours / theirs:.2f} (target <= 0.5)")
for n in ("1", "64", "1024"):
    name = f"StreamingScaleBenchmark.allStreams[{n}]"
    if name in per_token:
        r = res[name]
        alloc = "" if r[3] is None else f", {r[3] / (int(n) * 64):,.0f} B allocated per token"
        print(f"  {n:>5} concurrent streams: {per_token[name]:.2f} us CPU per token{alloc}")
for idle in sorted({k.split(",")[1] for k in pct if k.startswith("StreamRoundTripBenchmark.stream[")}, key=int):
    base = pct.get(f"StreamRoundTripBenchmark.stream[socket,{idle},1]")
    if not base:
        continue
    for c in ("jdk", "inferscope"):
        p = pct.get(f"StreamRoundTripBenchmark.stream[{c},{idle},1]")
        if p:
            print(f"  one short stream, {idle} us idle before each: {c} p50 {p['50.0']:.0f} us, p99 {p['99.0']:.0f} us; "
                  f"socket p50 {base['50.0']:.0f} us, p99 {base['99.0']:.0f} us; ratio p50 {p['50.0'] / base['50.0']:.2f}, "
                  f"p99 {p['99.0'] / base['99.0']:.2f}")
