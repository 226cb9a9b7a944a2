#!/usr/bin/env bash
# Load and shutdown test against the packaged server on loopback (127.0.0.1), bounded in count and time.
#
#   bench/load.sh [--clients N] [--seconds T] [--model-path FILE --model-id ID]
#
# 1. Packages the application and starts it (the bundled stories260K unless --model-path) with 2 replicas,
#    a queue of 8 and a fixed, pre-touched heap, so that resident memory grows only if something off-heap does.
# 2. Warms it up for 10 s, then runs N clients (default 16) for T seconds (default 60) with
#    src/test/java/dev/ggufserve/load/LoadGenerator.java: chat and completions, streaming and not, stop
#    strings, clients that disconnect mid-stream, prompts too long for the context. It prints the report
#    (requests/s, completed, 429s with Retry-After, p50/p95 time to first token, unexpected errors, RSS
#    before and after, busy replicas and queue depth at the end, streams that ended with data: [DONE]).
# 3. Shutdown: starts a long stream, sends SIGTERM, and checks that readiness goes DOWN, a new request gets
#    503, the stream still ends with data: [DONE], and the process exits within the grace period.
# Exits 1 when any check fails. Output and logs go to bench/out/load/.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=16
SECONDS_RUN=60
MODEL_PATH=""
MODEL_ID="llama"
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    --model-path) MODEL_PATH=$2; shift 2 ;;
    --model-id) MODEL_ID=$2; shift 2 ;;
    *) echo "usage: bench/load.sh [--clients N] [--seconds T] [--model-path FILE --model-id ID]" >&2; exit 2 ;;
  esac
done

if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64; do
    if [ -x "$candidate/bin/java" ]; then export JAVA_HOME=$candidate; break; fi
  done
fi
JAVA="$JAVA_HOME/bin/java"
OUT=bench/out/load
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== packaging"
./mvnw -B -q package -DskipTests

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
echo "== starting the server on $URL"
env QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT="$PORT" LLM_REPLICAS=2 LLM_MAX_QUEUE=8 \
    LLM_SHUTDOWN_GRACE_PERIOD=30s ${MODEL_PATH:+LLM_MODEL_PATH=$MODEL_PATH} ${MODEL_PATH:+LLM_MODEL_ID=$MODEL_ID} \
    "$JAVA" -Xms512m -Xmx512m -XX:+AlwaysPreTouch --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
    -XX:CompileCommand=quiet '-XX:CompileCommand=CompileThresholdScaling,dev.ggufserve.tensor.*::*,0.01' -XX:-UseOnStackReplacement -jar target/quarkus-app/quarkus-run.jar >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -sf "$URL/q/health/ready" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { echo "the server exited; see $OUT/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -sf "$URL/q/health/ready" >/dev/null || { echo "the server never became ready" >&2; exit 1; }

GENERATOR=("$JAVA" src/test/java/dev/ggufserve/load/LoadGenerator.java --url "$URL" --model "$MODEL_ID" --pid "$SERVER")
echo "== warm-up: $CLIENTS clients for 10 s"
"${GENERATOR[@]}" --clients "$CLIENTS" --seconds 10 >"$OUT/warm-up.md"
echo "== load: $CLIENTS clients for $SECONDS_RUN s"
status=0
"${GENERATOR[@]}" --clients "$CLIENTS" --seconds "$SECONDS_RUN" | tee "$OUT/report.md" || status=1

echo "== shutdown: SIGTERM during a stream"
curl -sN "$URL/v1/completions" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$MODEL_ID\", \"prompt\": \"Once upon a time\", \"max_tokens\": 1500, \"stream\": true, \"logit_bias\": {\"2\": -100}}" \
  >"$OUT/stream-during-shutdown.txt" &
STREAM=$!
# The stream's first event, so it is in flight when the signal comes.
for _ in $(seq 1 100); do grep -q '^data: ' "$OUT/stream-during-shutdown.txt" 2>/dev/null && break; sleep 0.05; done
SIGNALLED=$(date +%s.%N)
kill -TERM "$SERVER"
sleep 0.3
ready=$(curl -s -o /dev/null -w '%{http_code}' "$URL/q/health/ready" || true)
refused=$(curl -s -o "$OUT/refused.json" -w '%{http_code}' "$URL/v1/completions" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$MODEL_ID\", \"prompt\": \"Hi\", \"max_tokens\": 2}" || true)
wait "$STREAM" || true
set +e
wait "$SERVER"
exit_code=$?
set -e
trap - EXIT
stopped=$(python3 -c "import time; print(f'{time.time() - $SIGNALLED:.1f}')")
last=$(grep '^data: ' "$OUT/stream-during-shutdown.txt" | tail -1)
{
  echo
  echo "| shutdown check | value |"
  echo "| --- | --- |"
  echo "| readiness right after SIGTERM | HTTP $ready |"
  echo "| new request right after SIGTERM | HTTP $refused $(head -c 120 "$OUT/refused.json") |"
  echo "| in-flight stream's last event | \`$last\` |"
  echo "| process exit after SIGTERM | status $exit_code after ${stopped} s |"
} | tee -a "$OUT/report.md"
[ "$ready" = 503 ] || { echo "readiness was not DOWN after SIGTERM" >&2; status=1; }
[ "$refused" = 503 ] || { echo "a new request was not refused after SIGTERM" >&2; status=1; }
[ "$last" = "data: [DONE]" ] || { echo "the in-flight stream did not end with [DONE]" >&2; status=1; }
exit $status
