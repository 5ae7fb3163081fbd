#!/usr/bin/env bash
# Property-based fuzzing of the live API with schemathesis (from PyPI), driven by the API's own
# OpenAPI document: thousands of generated requests, each answer checked against the document,
# and no 5xx allowed. Starts the embedded stack on spare ports, fuzzes it, stops it.
#   bash scripts/fuzz-api.sh [max-examples-per-operation, default 300]
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${1:-300}"
# schemathesis's venv (made once, in the project's cache): scripts/fuzz-venv.sh.
venv="$(bash scripts/fuzz-venv.sh)"

data="$(mktemp -d)"
port=3917
export POS_DATA_DIR="$data" API_PORT=$port TEMPORAL_PORT=7917 TEMPORAL_UI_PORT=8917 ZUZ_SIM_PORT=4917 PMS_SIM_PORT=4918 \
  WORKER_METRICS_ADDRESS=127.0.0.1:9917 API_METRICS_ADDRESS=127.0.0.1:9918 SIM_TIME_SCALE=0.001 LOG_LEVEL=error \
  API_FAILED_AUTH_LIMIT_PER_MINUTE=1000000 # schemathesis's ignored-auth checks are 401s by design; the limit has its own test
node build/sandbox/dev.js >"$data/stack.log" 2>&1 &
stack=$!
trap 'kill -INT $stack 2>/dev/null; wait $stack 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  kill -0 $stack 2>/dev/null || { cat "$data/stack.log" >&2; exit 1; }
  sleep 0.5
done

"$venv/bin/st" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
  --header "Authorization: Bearer dev-api-key-0123456789" \
  --checks all \
  --exclude-checks use_after_free \
  --max-response-time 40 \
  --max-examples "$examples" \
  --seed 20261125 \
  --no-color
