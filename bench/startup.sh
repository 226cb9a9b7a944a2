#!/usr/bin/env bash
# Start-up benchmark: process start to /q/health/ready and to the first streamed token, plain JVM against
# the JDK 25 AOT cache, with the bundled demo model and with any GGUF files given; then the prefill rate of the
# first long prompt after start against a later one (StartupBench.java says how).
#
#   bench/startup.sh [--runs N] [--prompt-tokens N] [LABEL=MODEL.gguf ...]
#
#   --prompt-tokens  length of the long prompts, default 200; 0 skips them
#
#   bench/startup.sh --runs 5 phi3-mini-q4_k_m=/tmp/phi3-mini-q4_k_m.gguf
#
# The full-size Phi-3-mini-shaped Q4_K_M file (2.39 GB, random weights) comes from the CPU speed
# benchmark's writer (dev.ggufserve.testing.WritePhi3MiniModel, run by bench/cpu.sh).
#
# What it does, all under bench/out/startup/:
#   jvm/        ./mvnw package (fast-jar, the default packaging): started as the README says.
#   aot/        the same code packaged as aot-jar (what quarkus.package.jar.aot.enabled switches to), plus
#               app.aot from one training run on the bundled model: the same cache the container images
#               carry, because the images cannot see the mounted model when they are built.
#   aot-<LABEL>/ the aot-jar again with a cache trained on that model (covers its weight types' kernels).
# Each cache is trained in the directory it is used from: the cache records the class path.
# Runs alternate between variants; the model files are read once first, so every run starts with the
# weights in the page cache (a pod on a fresh node reads them from its volume instead; see docs/PERFORMANCE.md).
# AOT runs use -XX:AOTMode=on, so a cache the JVM cannot use fails the run instead of silently timing a
# start without it.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=5
PROMPT_TOKENS=200
MODELS=("bundled=bundled")
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --prompt-tokens) PROMPT_TOKENS=$2; shift 2 ;;
    *=*) MODELS+=("$1"); shift ;;
    *) echo "usage: bench/startup.sh [--runs N] [--prompt-tokens N] [LABEL=MODEL.gguf ...]" >&2; exit 2 ;;
  esac
done

if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64; do
    if [ -x "$candidate/bin/java" ]; then export JAVA_HOME=$candidate; break; fi
  done
fi
JAVA="$JAVA_HOME/bin/java"
# The run command's flags (README.md); StartupBench.java starts the timed runs with the same.
ENGINE_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:CompileCommand=quiet '-XX:CompileCommand=CompileThresholdScaling,dev.ggufserve.tensor.*::*,0.01' -XX:-UseOnStackReplacement)
OUT=bench/out/startup
rm -rf "$OUT"
mkdir -p "$OUT/logs"

echo "== building aot-jar and fast-jar packagings"
./mvnw -B -q package -DskipTests -Dquarkus.package.jar.type=aot-jar
cp -r target/quarkus-app "$OUT/aot"
# Last, so target/quarkus-app is left in the default packaging.
./mvnw -B -q package -DskipTests
cp -r target/quarkus-app "$OUT/jvm"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])'; }

# train DIR [MODEL_PATH]: one training run of aot-training.sh against the app in DIR, writing DIR/app.aot.
train() {
  local dir=$1 model=${2:-} port
  port=$(free_port)
  echo "== training the AOT cache in $dir (${model:-bundled model})"
  (
    cd "$dir"
    if [ -n "$model" ]; then export LLM_MODEL_PATH=$model; else unset LLM_MODEL_PATH; fi
    QUARKUS_HTTP_PORT=$port LLM_THREADS=2 exec "$JAVA" "${ENGINE_FLAGS[@]}" -XX:AOTCacheOutput=app.aot \
      -jar quarkus-run.jar > training.log 2>&1
  ) &
  local pid=$!
  src/main/docker/aot-training.sh "http://localhost:$port"
  kill -TERM "$pid"
  wait "$pid" || true   # 143: stopped by SIGTERM, as intended
  test -s "$dir/app.aot" || { echo "no $dir/app.aot; see $dir/training.log" >&2; exit 1; }
}

train "$OUT/aot"
VARIANTS=("jvm=$OUT/jvm=" "aot=$OUT/aot=-XX:AOTCache=app.aot -XX:AOTMode=on")
MODEL_ARGS=()
for entry in "${MODELS[@]}"; do
  label=${entry%%=*}
  path=${entry#*=}
  MODEL_ARGS+=("$label=$path")
  if [ "$path" != bundled ]; then
    path=$(realpath "$path")
    cat "$path" > /dev/null   # into the page cache once, before any timed run
    rm -rf "$OUT/aot-$label" && cp -r "$OUT/aot" "$OUT/aot-$label" && rm -f "$OUT/aot-$label/app.aot"
    train "$OUT/aot-$label" "$path"
    VARIANTS+=("aot-$label=$OUT/aot-$label=-XX:AOTCache=app.aot -XX:AOTMode=on")
  fi
done

echo "== measuring ($RUNS runs each; $(nproc) CPUs; $("$JAVA" -version 2>&1 | head -1))"
"$JAVA" bench/StartupBench.java "$RUNS" "$PROMPT_TOKENS" "$OUT/logs" "${VARIANTS[@]}" -- "${MODEL_ARGS[@]}" | tee "$OUT/results.md"
