#!/usr/bin/env bash
# Concurrency benchmark: many streams at once through the API against llama.cpp's llama-batched-bench, on the same
# full-size Phi-3-mini-shaped Q4_K_M file, 2 threads.
#
#   bench/concurrency.sh [--model FILE.gguf] [--streams 1,4,8,16] [--max-batch 16] [--batched-bench PATH]
#
# 1. Writes the model if FILE is missing (default /tmp/phi3-mini-q4_k_m.gguf, as bench/cpu.sh does), builds and starts
#    the server (LLM_THREADS=2, LLM_MAX_BATCH from --max-batch so that every N below runs as one batch, the JVM's GC
#    set up as in the container image) and sends warm-up requests.
# 2. For each N: N streams at once through POST /v1/completions, each a fresh 64-token prompt (token ids no other
#    request shares, so the prefix cache never helps) and 32 generated tokens (end tokens banned by logit_bias).
#      generated tok/s = N x 32 / wall time from the first request sent to the last stream ended (prefill included)
#      TTFT            = from sending a request to its first streamed token: median and p95 over the N streams
# 3. llama-batched-bench on the same file in the same run: -npp 64 -ntg 32 -npl <the same N> -t 2;
#      generated tok/s = N x 32 / its total time t; TTFT = its prefill time t_pp (all prompts read in one batch, the
#      first token of every sequence comes after it).
# 4. Prefix cache: a chat's second turn after a first turn of a 1000-token prompt (16 tokens generated). The second
#    turn's prompt is the first's followed by 40 new tokens; its time to first token is measured after the first turn
#    (the first prompt's pages are cached), and for a fresh prompt of the same length that nothing shares (what the
#    second turn costs without the cache).
# Results: bench/out/concurrency/results.jsonl and table.md.
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=/tmp/phi3-mini-q4_k_m.gguf
STREAMS=1,4,8,16
MAX_BATCH=16
BATCHED_BENCH=/work/llama-build/cpu/bin/llama-batched-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --model) MODEL=$2; shift 2 ;;
    --streams) STREAMS=$2; shift 2 ;;
    --max-batch) MAX_BATCH=$2; shift 2 ;;
    --batched-bench) BATCHED_BENCH=$2; shift 2 ;;
    *) echo "usage: bench/concurrency.sh [--model FILE.gguf] [--streams 1,4,8,16] [--max-batch N] [--batched-bench PATH]" >&2
       exit 2 ;;
  esac
done
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64; do
    if [ -x "$candidate/bin/java" ]; then export JAVA_HOME=$candidate; break; fi
  done
fi
export MAVEN_OPTS="${MAVEN_OPTS:---enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow}"
JAVA="$JAVA_HOME/bin/java"
OUT=bench/out/concurrency
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

echo "== building"
./mvnw -B -q package -DskipTests
./mvnw -B -q test-compile
if [ ! -f "$MODEL" ]; then
  echo "== writing $MODEL"
  "$JAVA" --add-modules jdk.incubator.vector -cp target/test-classes:target/classes \
    dev.ggufserve.testing.WritePhi3MiniModel "$MODEL" ../shared/fixtures/ggml-vocab-phi-3.gguf
fi
cat "$MODEL" > /dev/null   # weights in the page cache for both engines

# The container image's GC settings (see bench/cpu.sh).
JVM_GC=(-Xmx3g -XX:+UseParallelGC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:GCTimeRatio=4
  -XX:AdaptiveSizePolicyWeight=90)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])')
echo "== starting the server on port $PORT (LLM_MAX_BATCH=$MAX_BATCH)"
LLM_MODEL_PATH="$MODEL" LLM_THREADS=2 LLM_MAX_BATCH=$MAX_BATCH QUARKUS_HTTP_PORT=$PORT \
  "$JAVA" "${JVM_GC[@]}" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:CompileCommand=quiet '-XX:CompileCommand=CompileThresholdScaling,dev.ggufserve.tensor.*::*,0.01' -XX:-UseOnStackReplacement \
  -jar target/quarkus-app/quarkus-run.jar > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  if curl -sf "http://localhost:$PORT/q/health/ready" > /dev/null; then break; fi
  sleep 0.5
done
curl -sf "http://localhost:$PORT/q/health/ready" > /dev/null || { echo "server not ready"; tail -20 "$OUT/server.log"; exit 1; }

# ours MODE ARG: MODE streams N (N concurrent streams), or prefix (the two-turn chat); one JSON line per result
ours() {
  python3 - "$PORT" "$1" "$2" <<'PY'
import json, statistics, sys, threading, time, urllib.request
port, mode, arg = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = json.load(urllib.request.urlopen(f"http://localhost:{port}/v1/models"))["data"][0]["id"]
def prompt(n, seed):  # ids no other request shares: each request's prompt differs from its first token on
    return [100 + (seed * 7 + i * 7919) % 20000 for i in range(n)]
def stream(tokens, max_tokens):
    body = {"model": model, "prompt": tokens, "max_tokens": max_tokens, "stream": True, "temperature": 0,
            "stream_options": {"include_usage": True},
            "logit_bias": {"2": -100, "32000": -100, "32007": -100}}
    req = urllib.request.Request(f"http://localhost:{port}/v1/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    start = time.perf_counter(); first = None; usage = None; ids = []
    with urllib.request.urlopen(req, timeout=3600) as response:
        for line in response:
            line = line.decode().strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("choices"):
                first = first or time.perf_counter()
            if chunk.get("usage"):
                usage = chunk["usage"]
    return {"start": start, "first": first, "end": time.perf_counter(), "generated": usage["completion_tokens"]}
if mode == "streams":
    seed0 = int(time.time() * 1000) % 100000
    results = [None] * arg
    def run(i): results[i] = stream(prompt(64, seed0 + i), 32)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(arg)]
    begin = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    wall = max(r["end"] for r in results) - begin
    ttft = sorted(r["first"] - r["start"] for r in results)
    p95 = ttft[min(len(ttft) - 1, int(round(0.95 * (len(ttft) - 1))))]
    print(json.dumps({"engine": "ours", "streams": arg, "generated_tok_s": sum(r["generated"] for r in results) / wall,
                      "ttft_median_s": statistics.median(ttft), "ttft_p95_s": p95, "wall_s": wall}))
else:
    seed0 = int(time.time() * 1000) % 100000
    first_turn = prompt(arg, seed0)
    one = stream(first_turn, 16)
    second_turn = first_turn + prompt(40, seed0 + 1)
    cached = stream(second_turn, 1)
    fresh = stream(prompt(len(second_turn), seed0 + 2), 1)
    print(json.dumps({"engine": "ours", "prefix_prompt": arg, "first_turn_ttft_s": one["first"] - one["start"],
                      "second_turn_ttft_cached_s": cached["first"] - cached["start"],
                      "second_turn_ttft_uncached_s": fresh["first"] - fresh["start"]}))
PY
}

echo "== warm-up requests"
ours streams 2 > "$OUT/warmup.jsonl"
ours streams 1 >> "$OUT/warmup.jsonl"

IFS=, read -r -a COUNTS <<< "$STREAMS"
for n in "${COUNTS[@]}"; do
  echo "== ours: $n streams"
  ours streams "$n" | tee -a "$RESULTS"
done
echo "== ours: prefix cache (1000-token first turn)"
ours prefix 1000 | tee -a "$RESULTS"
curl -sf "http://localhost:$PORT/q/metrics" | grep -E '^llm_(preemptions_total|prefix_cache_hit_tokens_total|step_sequences_(count|sum|max)|step_tokens_(count|sum|max)) ' \
  > "$OUT/metrics.txt" || true
kill $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT

echo "== llama-batched-bench -npp 64 -ntg 32 -npl $STREAMS -t 2"
"$BATCHED_BENCH" -m "$MODEL" -c 4096 -npp 64 -ntg 32 -npl "$STREAMS" -t 2 --output-format jsonl 2> "$OUT/llama.log" \
  | grep '^{' | python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    print(json.dumps({"engine": "llama.cpp", "streams": r["pl"], "generated_tok_s": r["pl"] * r["tg"] / r["t"],
                      "ttft_median_s": r["t_pp"], "ttft_p95_s": r["t_pp"], "wall_s": r["t"]}))' | tee -a "$RESULTS"

python3 - "$RESULTS" <<'PY' | tee "$OUT/table.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def row(engine, n): return next((r for r in rows if r.get("engine") == engine and r.get("streams") == n), None)
print("| streams | ours generated tok/s | llama.cpp generated tok/s | ratio | ours TTFT median / p95 (s) | llama.cpp TTFT (s, its prefill) |")
print("|---|---|---|---|---|---|")
for n in sorted({r["streams"] for r in rows if "streams" in r}):
    a, b = row("ours", n), row("llama.cpp", n)
    ratio = f"{a['generated_tok_s'] / b['generated_tok_s']:.2f}x" if a and b else "-"
    print(f"| {n} | {a['generated_tok_s']:.2f} | {b['generated_tok_s'] if b else float('nan'):.2f} | {ratio} | "
          f"{a['ttft_median_s']:.2f} / {a['ttft_p95_s']:.2f} | {b['ttft_median_s'] if b else float('nan'):.2f} |")
for r in rows:
    if "prefix_prompt" in r:
        print(f"\nsecond turn after a {r['prefix_prompt']}-token first turn: time to first token "
              f"{r['second_turn_ttft_cached_s']:.2f} s with its prefix cached, "
              f"{r['second_turn_ttft_uncached_s']:.2f} s for a same-length prompt nothing shares "
              f"(first turn {r['first_turn_ttft_s']:.2f} s)")
PY
