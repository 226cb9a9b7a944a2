#!/usr/bin/env bash
# Regenerates the parity golden files in src/test/resources/parity from the two references:
#   - llama.cpp through ../shared/tools/llama-oracle (`score`, `greedy`)
#   - the exact float64 forward pass in ../shared/tools/float-reference (`ref_forward.py`)
# The tests only read the committed answers, so they need neither Node nor Python.
#
# usage: src/test/parity/make-goldens.sh [NAME...]  (from the repository root; needs ../shared)
#   with names, only those random models are regenerated (and not stories260K)
# The float reference gets float-reference-families.patch first: qwen2/qwen3 (biases, per-head q/k norms, key_length
# heads), Llama 3.1's rope_freqs, LongRoPE factors and attention factor, partial NEOX rotary.
# The random-weight models are written by the test sources' GGUF writer (dev.ggufserve.testing.WriteTestModels);
# their SHA-256 is stored beside the answers so a test notices when the writer no longer produces the same file.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
shared=$(cd "$root/../shared" && pwd)
out="$root/src/test/resources/parity"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

oracle=/tmp/llama-oracle
if [ ! -d "$oracle/node_modules" ]; then
  cp -r "$shared/tools/llama-oracle" "$oracle"
  (cd "$oracle" && npm ci --omit=optional --no-audit --no-fund)
fi
cp -r "$shared/tools/float-reference" "$work/float-reference"
chmod -R u+w "$work/float-reference"
patch -s -d "$work/float-reference" -p1 < "$root/src/test/parity/float-reference-families.patch"

export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
./mvnw -B -q test-compile
./mvnw -B -q dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" -Dmdep.includeScope=test
"$JAVA_HOME/bin/java" -cp "target/test-classes:target/classes:$(cat "$work/cp.txt")" \
  dev.ggufserve.testing.WriteTestModels "$work/models" "$@"

# One fixed prompt of token ids for every random model: BOS, then ids drawn from the synthetic vocabulary's
# byte and piece tokens (3..314; the phi3 models' control tokens sit at 315..319).
score_both() { # name model.gguf ids
  local name=$1 model=$2 ids=$3
  node "$oracle/oracle.mjs" score "$model" --tokens "$ids" --top 5 2>/dev/null > "$out/$name.llama.jsonl"
  python3 "$work/float-reference/ref_forward.py" "$model" "$ids" --top 5 > "$out/$name.exact.jsonl"
  echo "$ids" > "$out/$name.tokens"
  sha256sum "$model" | cut -d' ' -f1 > "$out/$name.sha256"
  printf '%-16s llama.cpp vs exact: ' "$name"
  python3 "$work/float-reference/cmp_scores.py" "$out/$name.llama.jsonl" "$out/$name.exact.jsonl"
}

random_ids="1,168,80,205,27,40,277,51,190,301,32,262,112,22,47,225,217,38,126,49,285,220,33,292,66,117,301,34,298,302,206,28"
for model in "$work"/models/*.gguf; do
  score_both "$(basename "$model" .gguf)" "$model" "$random_ids"
done

# Greedy tokens of the F32 models of the byte-level-BPE-era families, after the first 8 prompt ids.
for name in qwen2-f32 qwen3-f32 llama3-f32; do
  if [ -f "$work/models/$name.gguf" ]; then
    node "$oracle/oracle.mjs" greedy "$work/models/$name.gguf" --tokens "1,168,80,205,27,40,277,51" --n 24 --top 2 \
      2>/dev/null > "$out/$name.greedy.jsonl"
  fi
done

if [ $# -gt 0 ]; then
  exit 0
fi

# The demo model: teacher-forced on a real story, and greedy text after "Once upon a time".
stories="$shared/fixtures/stories260K.gguf"
prompt_ids=$(node "$oracle/oracle.mjs" tokenize "$stories" "Once upon a time" 2>/dev/null | tr -d '[]')
node "$oracle/oracle.mjs" greedy "$stories" --tokens "1,$prompt_ids" --n 64 --top 5 2>/dev/null > "$out/stories260K.greedy.jsonl"
greedy_ids=$(python3 -c "import json,sys; print(','.join(str(json.loads(l)['token']) for l in open(sys.argv[1])))" "$out/stories260K.greedy.jsonl")
node "$oracle/oracle.mjs" detokenize "$stories" "$greedy_ids" 2>/dev/null > "$out/stories260K.greedy.text.json"
score_both stories260K "$stories" "1,$prompt_ids,$greedy_ids"
