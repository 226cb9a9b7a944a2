#!/usr/bin/env bash
# CPU speed benchmark: gguf-serve against llama.cpp on the same full-size Phi-3-mini-shaped Q4_K_M file, 2 threads.
#
#   bench/cpu.sh [--runs N] [--model FILE.gguf]
#
# 1. Writes the model if FILE is missing (default /tmp/phi3-mini-q4_k_m.gguf, 2.39 GB) with the project's own GGUF
#    writer (dev.ggufserve.testing.WritePhi3MiniModel): 32 layers, 3072 embd, 8192 ff, 32 heads, Phi-3's 32064-token
#    vocabulary from ../shared/fixtures/ggml-vocab-phi-3.gguf, random weights in llama.cpp's Q4_K_M mix.
# 2. Builds and starts the server with the run contract (LLM_MODEL_PATH, LLM_THREADS=2, QUARKUS_HTTP_PORT) and the
#    JVM's garbage collector set up as in the container image (below), and sends warm-up requests (the JIT compiles
#    the kernels on first use).
# 3. Runs, alternating: ours through POST /v1/completions (token-id prompts, streamed), then llama-oracle bench.
#      prefill tok/s = prompt tokens / time to first streamed token, max_tokens 1, prompts of 64 and 512 tokens
#      decode tok/s  = (completion tokens - 1) / (last chunk - first chunk), 128 tokens after a 64-token prompt,
#                      logit_bias -100 on the end tokens so generation runs the full length
#    Each request's prompt is different (the server keeps KV of a repeated prefix). llama-oracle: prompt 64 with
#    128 generated tokens, and prompt 512 for the 512 prefill.
# 4. RSS of the server (VmRSS) after the runs against issue 3's budget: GGUF file size + the F16 KV cache of the
#    tokens the server holds + 600 MB. A page's memory, 16 positions, stays allocated once written, and the prefix
#    cache keeps the full pages of finished requests until the pool needs them, so the positions held are the
#    larger of: the most one request ran through the replica (prompt + generated - 1; 512 here), and the pages only
#    the prefix cache keeps after the runs (llm_kv_pages_cached) plus the last request's partial page. The KV size
#    per token comes from the file's metadata (layers x 2 x kv width x 2 bytes).
#    Then a ratio table of medians (min-max) to bench/out/cpu/.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=3
MODEL=/tmp/phi3-mini-q4_k_m.gguf
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    *) echo "usage: bench/cpu.sh [--runs N] [--model FILE.gguf]" >&2; exit 2 ;;
  esac
done
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "25'; then
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk /usr/lib/jvm/java-25-openjdk-amd64; do
    if [ -x "$candidate/bin/java" ]; then export JAVA_HOME=$candidate; break; fi
  done
fi
export MAVEN_OPTS="${MAVEN_OPTS:---enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow}"
JAVA="$JAVA_HOME/bin/java"
ORACLE=${LLAMA_ORACLE:-/tmp/llama-oracle}
OUT=bench/out/cpu
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

if [ ! -d "$ORACLE/node_modules" ]; then
  cp -r ../shared/tools/llama-oracle "$ORACLE"
  (cd "$ORACLE" && npm ci --omit=optional --no-audit --no-fund)
fi

echo "== building"
./mvnw -B -q package -DskipTests
./mvnw -B -q test-compile
if [ ! -f "$MODEL" ]; then
  echo "== writing $MODEL"
  "$JAVA" --add-modules jdk.incubator.vector -cp target/test-classes:target/classes \
    dev.ggufserve.testing.WritePhi3MiniModel "$MODEL" ../shared/fixtures/ggml-vocab-phi-3.gguf
fi
cat "$MODEL" > /dev/null   # weights in the page cache for both engines

# The GC options of the JVM image (src/main/docker/Dockerfile.jvm starts the server through run-java.sh, whose
# defaults these are): Parallel GC that keeps the committed heap within 20% of what is live. The JVM's own default,
# G1 with no -Xmx, committed 680-1000 MiB of heap for 260 MiB live in this benchmark (docs/PERFORMANCE.md). The heap
# limit fits the default 4096-token context: its F16 KV cache (1.5 GiB) lives in the old generation, which Parallel
# GC gives two thirds of the heap.
JVM_GC=(-Xmx3g -XX:+UseParallelGC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:GCTimeRatio=4
  -XX:AdaptiveSizePolicyWeight=90)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])')
echo "== starting the server on port $PORT"
LLM_MODEL_PATH="$MODEL" LLM_THREADS=2 QUARKUS_HTTP_PORT=$PORT \
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

# ours KIND SEED: one measurement through the API, appended to results.jsonl
ours() {
  python3 - "$PORT" "$1" "$2" >> "$RESULTS" <<'PY'
import json, sys, time, urllib.request
port, kind, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = json.load(urllib.request.urlopen(f"http://localhost:{port}/v1/models"))["data"][0]["id"]
def prompt(n):  # the ids llama-oracle's bench uses, shifted per request so no prefix is reused
    return [100 + (seed * 7 + i * 7919) % 20000 for i in range(n)]
def stream(tokens, max_tokens):
    body = {"model": model, "prompt": tokens, "max_tokens": max_tokens, "stream": True, "temperature": 0,
            "stream_options": {"include_usage": True},
            "logit_bias": {"2": -100, "32000": -100, "32007": -100}}
    req = urllib.request.Request(f"http://localhost:{port}/v1/completions", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    start = time.perf_counter(); first = last = None; usage = None
    with urllib.request.urlopen(req) as response:
        for line in response:
            line = line.decode().strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            now = time.perf_counter()
            if chunk.get("choices"):
                first = first or now
                last = now
            if chunk.get("usage"):
                usage = chunk["usage"]
    return start, first, last, usage
if kind.startswith("prefill"):
    n = int(kind[len("prefill"):])
    start, first, last, usage = stream(prompt(n), 1)
    print(json.dumps({"engine": "ours", "metric": kind, "tok_s": n / (first - start), "ttft_s": first - start,
                      "held": n + usage["completion_tokens"] - 1}))
else:
    start, first, last, usage = stream(prompt(64), 129)
    generated = usage["completion_tokens"]
    print(json.dumps({"engine": "ours", "metric": "decode", "tok_s": (generated - 1) / (last - first),
                      "tokens": generated, "ttft_s": first - start, "held": 64 + generated - 1}))
PY
}

llama() {
  node "$ORACLE/oracle.mjs" bench "$MODEL" --prompt "$1" --gen "$2" --threads 2 2>/dev/null | tail -1
}

echo "== warm-up request"
ours prefill64 999
ours decode 998
mv "$RESULTS" "$OUT/warmup.jsonl"

for run in $(seq 1 "$RUNS"); do
  echo "== run $run of $RUNS"
  ours prefill64 "$run"
  ours prefill512 "$run"
  ours decode "$((run + 100))"
  llama 64 128 | python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"engine":"llama.cpp","metric":"prefill64","tok_s":r["prefill_tok_s"]})); print(json.dumps({"engine":"llama.cpp","metric":"decode","tok_s":r["decode_tok_s"]}))' >> "$RESULTS"
  llama 512 4 | python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"engine":"llama.cpp","metric":"prefill512","tok_s":r["prefill_tok_s"]}))' >> "$RESULTS"
  tail -n 6 "$RESULTS"
done

RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$SERVER/status")
CACHED_PAGES=$(curl -sf "http://localhost:$PORT/q/metrics" | awk '/^llm_kv_pages_cached / {print int($2)}')
python3 - "$RESULTS" "$RSS_KB" "$MODEL" "$OUT/warmup.jsonl" "$CACHED_PAGES" <<'PY' | tee "$OUT/table.md"
import json, os, statistics, struct, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
warmup = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]

def gguf_metadata(path):  # the header's key-value pairs with scalar or string values (arrays skipped)
    scalars = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
    with open(path, "rb") as f:
        def read(fmt): return struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))[0]
        def string(): return f.read(read("Q")).decode()
        def value(kind):
            if kind == 8: return string()
            if kind == 9:
                element, count = read("I"), read("Q")
                for _ in range(count): value(element)
                return None
            return read(scalars[kind])
        assert f.read(4) == b"GGUF"
        read("I"); read("Q")
        metadata = {}
        for _ in range(read("Q")):
            key = string()
            metadata[key] = value(read("I"))
        return metadata

meta = gguf_metadata(sys.argv[3])
arch = meta["general.architecture"]
heads = meta[f"{arch}.attention.head_count"]
kv_width = meta[f"{arch}.embedding_length"] // heads * meta.get(f"{arch}.attention.head_count_kv", heads)
kv_bytes_per_token = meta[f"{arch}.block_count"] * 2 * kv_width * 2   # keys and values, F16
held = max(r["held"] for r in rows + warmup if "held" in r)
cached_pages = int(sys.argv[5])
held_positions = max(-(-held // 16), cached_pages + 1) * 16
mib = 1024 * 1024
rss_mb, file_mb = int(sys.argv[2]) / 1024, os.path.getsize(sys.argv[3]) / mib
kv_mb = held_positions * kv_bytes_per_token / mib
budget_mb = file_mb + kv_mb + 600e6 / mib
def values(engine, metric): return [r["tok_s"] for r in rows if r["engine"] == engine and r["metric"] == metric]
print("| metric | ours tok/s median (min-max) | llama.cpp tok/s median (min-max) | ratio of medians | runs |")
print("|---|---|---|---|---|")
for metric in ["prefill64", "prefill512", "decode"]:
    a, b = values("ours", metric), values("llama.cpp", metric)
    print(f"| {metric} | {statistics.median(a):.2f} ({min(a):.2f}-{max(a):.2f}) | "
          f"{statistics.median(b):.2f} ({min(b):.2f}-{max(b):.2f}) | {statistics.median(a) / statistics.median(b):.2f}x | {len(a)} |")
ttft = [r["ttft_s"] for r in rows if r["engine"] == "ours" and r["metric"] == "prefill64"]
print(f"\ntime to first token (64-token prompt): median {statistics.median(ttft):.2f} s")
print(f"server RSS after the runs: {rss_mb:.0f} MiB; budget {budget_mb:.0f} MiB = GGUF file {file_mb:.0f} MiB"
      f" + F16 KV of {held_positions} positions held (one request at most {held} tokens; {cached_pages} pages of 16"
      f" kept by the prefix cache) {kv_mb:.0f} MiB + 600 MB"
      f" ({600e6 / mib:.0f} MiB): {'met' if rss_mb <= budget_mb else 'NOT met'}, margin {budget_mb - rss_mb:.0f} MiB")
PY
