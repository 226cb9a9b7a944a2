#!/usr/bin/env bash
# The one script to run on a GPU machine (no Maven or JDK needed there): what loads, the GPU tests, the benchmark.
#
# Here, with Maven and a JDK 25:   bench/gpu-build.sh        (builds target/gpu, about 61 MB)
# There, with target/gpu carried:  bench/gpu-check.sh        (about 2-4 minutes; every step has a time limit)
#
# Everything it prints also goes to $OUT (default bench/out): check.log, tests.log, junit/ (XML reports),
# bench.txt, whose table belongs in docs/PERFORMANCE.md, and profile.txt (GPU time of a prefill by step).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/out}
mkdir -p "$OUT"
exec > >(tee "$OUT/check.log") 2>&1

G=target/gpu
JAVA=${GPU_JAVA:-$G/jre/bin/java}
CP="$G/classes:$G/test-classes:$G/lib/*"
JVM=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir=/tmp)

section() {
    printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"
}

section "machine"
nvidia-smi || echo "nvidia-smi failed"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv || true
echo "CUDA libraries the dynamic linker knows (the engine needs only libcuda.so.1):"
ldconfig -p | grep -E 'libcuda\.so|libcudart|libcublas\.so|libnvrtc\.so' || echo "  none listed by ldconfig"
"$JAVA" -version 2>&1 | head -3

section "JCuda"
timeout 60 "$JAVA" "${JVM[@]}" -cp "$CP" dev.ggufserve.engine.cuda.CudaProbe 2>&1 | grep -v '^WARNING'
probe=${PIPESTATUS[0]}
# JCuda extracts its native library into java.io.tmpdir; show what it links and whether all of it resolves.
for library in /tmp/libJCudaDriver-*.so; do
    [ -e "$library" ] && ldd "$library"
done

section "GPU tests"
timeout 300 "$JAVA" "${JVM[@]}" -Xmx8g -cp "$CP" org.junit.platform.console.ConsoleLauncher execute \
    --disable-banner --details=tree --reports-dir "$OUT/junit" \
    --select-class dev.ggufserve.engine.cuda.CudaKernelTest \
    --select-class dev.ggufserve.parity.CudaEngineParityTest \
    --select-class dev.ggufserve.engine.EnginesTest 2>&1 | grep -v '^WARNING' > "$OUT/tests.log"
tests=${PIPESTATUS[0]}
grep -E 'relative error|parity|decode ' "$OUT/tests.log"
grep -E '✘|tests (successful|failed|aborted|skipped)' "$OUT/tests.log"
grep -A4 '✘' "$OUT/tests.log" | head -60

section "benchmark"
timeout 240 "$JAVA" "${JVM[@]}" -Xmx8g -cp "$CP" dev.ggufserve.bench.GpuBench /tmp/phi3-mini-q4_k_m.gguf 2>&1 \
    | grep -v '^WARNING' | tee "$OUT/bench.txt"
bench=${PIPESTATUS[0]}

section "prefill profile"
timeout 120 "$JAVA" "${JVM[@]}" -Xmx8g -cp "$CP" dev.ggufserve.engine.cuda.PrefillProfile /tmp/phi3-mini-q4_k_m.gguf 2>&1 \
    | grep -v '^WARNING' | tee "$OUT/profile.txt"
profile=${PIPESTATUS[0]}

section "done"
echo "probe exit $probe, tests exit $tests, benchmark exit $bench, profile exit $profile; results in $OUT"
[ "$probe" = 0 ] && [ "$tests" = 0 ] && [ "$bench" = 0 ] && [ "$profile" = 0 ]
