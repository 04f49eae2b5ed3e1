#!/usr/bin/env bash
# Runs Inferscope's quick benchmark set (one fork, short iterations; about 6 minutes on 2 cores) and
# prints one comparison table. Full JMH output lands in benchmarks/target/jmh-quick.json.
# Usage (from the repository root): benchmarks/run-quick.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q install -DskipTests
./mvnw -B -q -pl benchmarks package -DskipTests
JAR=benchmarks/target/benchmarks.jar
OUT=benchmarks/target/jmh-quick.json
java -jar "$JAR" -f 1 -wi 2 -w 2s -i 3 -r 3s -prof gc -rf json -rff "$OUT" \
  'HotPathBenchmark|SseBenchmark|UnaryInferBenchmark|TensorTransferBenchmark' | tail -60
python3 benchmarks/table.py "$OUT"
