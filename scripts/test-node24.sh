#!/usr/bin/env bash
# Runs the suite's fast part (or the files given) under Node.js 24, the project's target, whatever
# Node runs this script: Node 24 comes from the npm registry as the `node` package (npx caches it),
# so no nvm and no global install. The machine's `npm test` covers its own Node.
#   bash scripts/test-node24.sh [--quick | test/x.test.ts ...]   (none: every file but SLOW below)
# --quick: QUICK below, CI's step (.ci/run): about 2 minutes on 2 busy cores.
# Expects node_modules (npm ci) and dist/ + build/ (npm run build), as `npm test` leaves them.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;; esac

NODE24_VERSION="${NODE24_VERSION:-24.19.0}" # the Dockerfile's base image's Node
# Servers, browsers, fuzzing, image builds, many processes: the machine's `npm test` runs them.
SLOW='bench|chaos|cluster|cluster-tls|container-build|dev-server|e2e|fuzz|metrics|operations|simulation-cli|simulation|temporal-outage|web-ui'
# Configuration, the architecture's rules, the PostgreSQL record (racing refunds), migrations, the
# activities over HTTP, and the workflow on the time-skipping server with the SDK's native core.
QUICK='config architecture card-number logger reconciliation-rules refund-record migrations activities workflow'

started=$SECONDS
node24="$(npx --yes "node@$NODE24_VERSION" -p process.execPath)"
echo "[node24] $("$node24" --version) at $node24 (npm package node@$NODE24_VERSION)" >&2
if [ "${1:-}" = --quick ]; then
  shift
  for name in $QUICK; do set -- "$@" "test/$name.test.ts"; done
elif [ $# -eq 0 ]; then
  mapfile -t files < <(ls test/*.test.ts | grep -Ev "^test/($SLOW)\.test\.ts$")
  set -- "${files[@]}"
fi
# Its folder first on PATH: what the tests start with `node` (or npm's scripts) runs on it too.
PATH="$(dirname "$node24"):$PATH" NODE_OPTIONS=--experimental-vm-modules \
  "$node24" node_modules/jest/bin/jest.js --runInBand --forceExit "$@"
echo "[node24] jest under $("$node24" --version): $((SECONDS - started)) s" >&2
