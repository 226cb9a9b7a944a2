#!/usr/bin/env bash
# Cost of the structured-output token mask per generated token against a decode step (issue 12): decode steps of
# the Phi-3-mini-shaped Q4_K_M model (2 threads), then the mask in typical states of a JSON-schema reply on its
# 32064-token vocabulary and on Qwen2's 151k-token byte-level BPE vocabulary, all in one process
# (dev.ggufserve.bench.MaskBench). Writes the model first if it is missing, as bench/cpu.sh does.
#
# usage: bench/mask.sh [MODEL.gguf]   (default /tmp/phi3-mini-q4_k_m.gguf)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-/tmp/phi3-mini-q4_k_m.gguf}
BPE_VOCABULARY=../shared/fixtures/ggml-vocab-qwen2.gguf
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
./mvnw -B -q test-compile
./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=target/mask-bench.classpath -Dmdep.includeScope=test
CLASSPATH="target/test-classes:target/classes:$(cat target/mask-bench.classpath)"
JAVA="$JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx4g -cp $CLASSPATH"
if [[ ! -f "$MODEL" ]]; then
  $JAVA dev.ggufserve.testing.WritePhi3MiniModel "$MODEL" ../shared/fixtures/ggml-vocab-phi-3.gguf
fi
$JAVA dev.ggufserve.bench.MaskBench "$MODEL" "$BPE_VOCABULARY" --steps 8 --repeats 41 2>&1 | grep -v "^WARNING"
