#!/usr/bin/env bash
# Runs Inferscope's quick benchmark set (one fork, short iterations; about 8 minutes on 2 cores with the
# build) and prints one comparison table. Full JMH output lands in benchmarks/target/jmh-quick*.json.
# Usage (from the repository root): benchmarks/run-quick.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q install -DskipTests
./mvnw -B -q -pl benchmarks package -DskipTests
JAR=benchmarks/target/benchmarks.jar
OUT=benchmarks/target/jmh-quick.json
OUT_STREAMS=benchmarks/target/jmh-quick-streams.json
OUT_PAIRED=benchmarks/target/jmh-quick-paired.json
OUT_PACED1=benchmarks/target/jmh-quick-paced1.json
OUT_PACED16=benchmarks/target/jmh-quick-paced16.json
# groups 2 and 4, SSE parsing (group 3) and the allocation per call of group 1: short iterations
java -jar "$JAR" -f 1 -wi 2 -w 1s -i 3 -r 1s -prof gc -rf json -rff "$OUT" \
  'HotPathBenchmark|SseBenchmark|UnaryInferBenchmark\.[abc]_|TensorTransferBenchmark' | tail -40
# group 1 times: the three variants back to back in the same operations (see UnaryInferBenchmark.paired)
java -jar "$JAR" -f 1 -wi 10 -w 2s -i 6 -r 2s -rf json -rff "$OUT_PAIRED" 'UnaryInferBenchmark\.paired' | tail -12
# groups 3 and 5 (streaming clients against a simulator in a child JVM): longer warm-up, as JIT
# compilation would otherwise count as client CPU. Unpaced streams (the client is never idle) and the
# 1/64/1,024-stream scale group first; then paced streams, one at 200 us gaps and 16 at once at 2 ms gaps
# (the benchmark warms both clients on an unpaced simulator before a paced trial).
java -jar "$JAR" -f 1 -wi 5 -w 3s -i 4 -r 3s -prof gc -rf json -rff "$OUT_STREAMS" \
  'StreamingClientBenchmark|StreamingScaleBenchmark' | tail -30
java -jar "$JAR" -f 1 -wi 1 -w 3s -i 4 -r 3s -rf json -rff "$OUT_PACED1" \
  'StreamingClientBenchmark' -p gapMicros=200 -p streams=1 | tail -8
java -jar "$JAR" -f 1 -wi 1 -w 3s -i 4 -r 3s -rf json -rff "$OUT_PACED16" \
  'StreamingClientBenchmark' -p gapMicros=2000 -p streams=16 | tail -8
# one short stream's wall time (the part of a stream no server timing covers), sampled: a plain socket,
# the JDK HTTP client and Inferscope, back to back and with the threads parked 5 ms before each stream
OUT_ROUND=benchmarks/target/jmh-quick-roundtrip.json
java -jar "$JAR" -f 1 -wi 4 -w 3s -i 5 -r 3s -rf json -rff "$OUT_ROUND" 'StreamRoundTripBenchmark' | tail -8
python3 - "$OUT" "$OUT_PAIRED" "$OUT_STREAMS" "$OUT_PACED1" "$OUT_PACED16" "$OUT_ROUND" > benchmarks/target/jmh-quick-all.json <<'PY'
import json, sys
rows = []
for f in sys.argv[1:]:
    rows += json.load(open(f))
print(json.dumps(rows))
PY
python3 benchmarks/table.py benchmarks/target/jmh-quick-all.json
cat benchmarks/target/scale-heap-*.txt 2>/dev/null || true
