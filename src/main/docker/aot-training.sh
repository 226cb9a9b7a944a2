#!/bin/sh
# The AOT cache's training workload: what a running gguf-serve sees in production, sent once.
#
#   aot-training.sh BASE_URL [READY_TIMEOUT_SECONDS]
#
# The caller starts the server with -XX:AOTCacheOutput=app.aot (JDK 25, JEP 514/515) and stops it with
# SIGTERM after this script returns; the JVM writes the cache at exit. Every class and method these
# requests touch (Quarkus and Vert.x start-up, health and metrics, JSON, the tokenizer, chat template,
# the engine's kernels for the served model's weight types, sampling, SSE) is then loaded, linked and
# profiled from the cache on the next start instead of from the jars.
#
# Used by src/main/docker/Dockerfile.jvm and Dockerfile.cuda (training inside the image, so the cache
# matches the image's JVM exactly) and by bench/startup.sh. Needs only sh and curl.
set -eu

BASE_URL=${1:?usage: aot-training.sh BASE_URL [READY_TIMEOUT_SECONDS]}
READY_TIMEOUT_SECONDS=${2:-300}

# Readiness comes after the model is loaded and one warm-up token generated.
waited=0
until curl -sf "$BASE_URL/q/health/ready" > /dev/null; do
  if [ "$waited" -ge "$((READY_TIMEOUT_SECONDS * 10))" ]; then
    echo "aot-training: $BASE_URL/q/health/ready not UP after $READY_TIMEOUT_SECONDS s" >&2
    exit 1
  fi
  sleep 0.1
  waited=$((waited + 1))
done

# The id to send as "model": the first id /v1/models lists.
MODEL_ID=$(curl -sf "$BASE_URL/v1/models" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
if [ -z "$MODEL_ID" ]; then
  echo "aot-training: no model id in $BASE_URL/v1/models" >&2
  exit 1
fi

post() {
  curl -sf -N "$BASE_URL$1" -H 'Content-Type: application/json' ${OPENAI_API_KEY:+-H "Authorization: Bearer $OPENAI_API_KEY"} -d "$2" > /dev/null
}

# Several rounds, so the hot paths run often enough to be profiled (JEP 515), not only loaded.
for round in 1 2 3; do
  curl -sf "$BASE_URL/q/health/started" "$BASE_URL/q/health/live" "$BASE_URL/q/health/ready" > /dev/null
  curl -sf "$BASE_URL/v1/models" > /dev/null
  post /v1/completions "{\"model\":\"$MODEL_ID\",\"prompt\":\"Once upon a time\",\"max_tokens\":16}"
  post /v1/completions "{\"model\":\"$MODEL_ID\",\"prompt\":\"The little dog\",\"max_tokens\":16,\"stream\":true,\"temperature\":0.8,\"seed\":$round}"
  post /v1/chat/completions "{\"model\":\"$MODEL_ID\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story.\"}],\"max_tokens\":16}"
  post /v1/chat/completions "{\"model\":\"$MODEL_ID\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hello!\"}],\"max_tokens\":16,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
  curl -sf "$BASE_URL/q/metrics" > /dev/null
done
echo "aot-training: done ($MODEL_ID)"
