#!/usr/bin/env bash
# The container image's build steps, kept in one place: the Dockerfile's build stage runs this
# script, and test/container-build.test.ts runs it on a copy of the build context (no image can
# be built there) and starts the worker and the API from what it stages. So the steps the image
# is built with are the steps the tests run.
#
# Usage: scripts/container-build.sh OUT_DIR [SIMULATORS_DIR]
#
# Builds the repository the script is in (npm ci with dev dependencies, `npm run build`: the
# TypeScript compile and the prebuilt workflow bundle), then stages in OUT_DIR the runtime tree
# the image ships, and nothing else:
#   OUT_DIR/package.json, package-lock.json   the manifest the production install was made from
#   OUT_DIR/node_modules/                       `npm ci --omit=dev --ignore-scripts`: production dependencies only
#                                               (and the Temporal SDK's native core for this platform only)
#   OUT_DIR/dist/                               the compiled service (no source maps), with
#   OUT_DIR/dist/workflow-bundle.js             the prebuilt workflow bundle the worker loads (src/shared/workflow-bundle.ts)
#   OUT_DIR/healthcheck.js                      the image's HEALTHCHECK (deploy/healthcheck.js)
# With SIMULATORS_DIR, it also stages there the compiled Zuz and PMS simulators (sandbox only, for
# docker-compose.yml; the Dockerfile's `simulators` target lays them over OUT_DIR):
#   SIMULATORS_DIR/sandbox/simulators/          node sandbox/simulators/zuz/main.js, .../pms/main.js
#   SIMULATORS_DIR/src/zuz/                     the wire format and webhook signature they share with the service
#   SIMULATORS_DIR/src/merchants/model.js       the API_KEYS format (the PMS simulator seeds its cards per merchant)
#
# It cleans dist/ and build/ and reinstalls node_modules in the repository it builds: run it on
# a clean copy (the image's build stage, CI's temporary copy), not in a working tree in use.
# OUT_DIR (and SIMULATORS_DIR) must be new or empty, and must not lie under any node_modules
# folder's parent: the load check below must resolve packages from OUT_DIR/node_modules alone.
set -euo pipefail

say() { echo "[container-build] $*" >&2; }
fail() {
  say "FAILED: $*"
  exit 1
}
trap 'say "FAILED (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

case "${1:-}" in -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ $# -ge 1 ] && [ $# -le 2 ] || fail "usage: scripts/container-build.sh OUT_DIR [SIMULATORS_DIR]"

# An absolute path for a directory that may not exist yet.
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

# A directory to stage into: new or empty, and no node_modules in any folder above it (Node
# would look there for a package missing from OUT_DIR/node_modules and hide the mistake).
prepare_out() {
  local dir="$1" up
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then fail "$dir exists and is not empty"; fi
  up="$(dirname "$dir")"
  while :; do
    [ -e "$up/node_modules" ] && fail "$up/node_modules exists above $dir: Node would resolve packages from it"
    [ "$up" = / ] && break
    up="$(dirname "$up")"
  done
  mkdir -p "$dir"
}

out="$(absolute "$1")"
sims="${2:+$(absolute "$2")}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
prepare_out "$out"
[ -z "$sims" ] || prepare_out "$sims"

say "building $repo with node $(node --version), npm $(npm --version)"
# engines.node is a list of caret ranges ("^24.0.0 || ^22.0.0 || ^20.3.0"): the running Node must
# be in one of them. The image's Node (the Dockerfile's base, .nvmrc) is the first, the target.
node -e '
  const range = require("./package.json").engines.node;
  const version = process.versions.node.split(".").map(Number);
  const allowed = range.split("||").map((part) => {
    const m = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
    if (!m) { console.error(`engines.node: "${part.trim()}" is not a caret range (^major.minor.patch)`); process.exit(1); }
    return m.slice(1).map(Number);
  });
  const inRange = ([major, minor, patch]) =>
    version[0] === major && (version[1] > minor || (version[1] === minor && version[2] >= patch));
  if (!allowed.some(inRange)) { console.error(`node ${process.version} is outside engines.node ${range}`); process.exit(1); }
  if (version[0] !== allowed[0][0]) console.error(`[container-build] note: node ${process.version}; the target is Node ${allowed[0][0]} (.nvmrc, the Dockerfile)`);
'

say "clean build: removing dist/ and build/ (stale output of deleted sources must not ship)"
rm -rf dist build

say "npm ci (all dependencies: the compiler and the workflow bundler are dev dependencies)"
npm ci --no-audit --no-fund --prefer-offline

say "npm run build (tsc, then the prebuilt workflow bundle)"
npm run --silent build
for file in dist/worker.js dist/api/server.js dist/workflow-bundle.js; do
  [ -s "$file" ] || fail "the build did not produce $file"
done

say "staging the runtime in $out"
cp package.json package-lock.json "$out/"
# Without the source maps: nothing in the image reads them (they point to TypeScript it does not ship).
cp -R dist "$out/dist"
find "$out/dist" -type f -name '*.map' -delete
install -m 0644 deploy/healthcheck.js "$out/healthcheck.js"

say "npm ci --omit=dev --ignore-scripts in $out (production dependencies only; no install scripts run)"
(cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline)

# The Temporal SDK's native core ships prebuilt for five platforms (~27 MB each); the image runs
# on the platform it is built on (this stage runs on the target platform), so keep that one.
bridge="$out/node_modules/@temporalio/core-bridge"
target="$(node -p "require('$bridge/common.js').getPrebuiltTargetName()")"
[ -f "$bridge/releases/$target/index.node" ] || fail "the Temporal SDK has no prebuilt core for $target"
say "keeping the Temporal SDK's native core for $target only"
find "$bridge/releases" -mindepth 1 -maxdepth 1 ! -name "$target" -exec rm -rf {} +

# Every module the two entry points load at start must resolve from $out alone: a runtime import
# of a dev dependency stops the build here, not a container in production. Requiring an entry
# point loads its imports without starting it (each runs main() only as the main module).
say "checking that the entry points load from $out alone"
(cd "$out" && env -u NODE_PATH NODE_ENV=production node -e '
  require("./dist/worker.js");
  require("./dist/api/server.js");
  if (!require("./dist/shared/workflow-bundle.js").prebuiltWorkflowBundle()) throw new Error("the worker does not find the prebuilt workflow bundle");
') || fail "an entry point does not load from $out (a missing production dependency?)"

if [ -n "$sims" ]; then
  say "staging the Zuz and PMS simulators in $sims"
  for dir in sandbox/simulators src/zuz src/merchants/model.js; do
    [ -e "build/$dir" ] || fail "the build did not produce build/$dir"
    mkdir -p "$(dirname "$sims/$dir")"
    cp -R "build/$dir" "$sims/$dir"
  done
  find "$sims" -type f -name '*.map' -delete
  (cd "$sims" && env NODE_PATH="$out/node_modules" node -e '
    require("./sandbox/simulators/zuz");
    require("./sandbox/simulators/pms");
    require("./sandbox/simulators/pms/envConfig");
  ') ||
    fail "the simulators do not load from $sims with the runtime's node_modules"
fi

say "done: $(du -sh "$out" | cut -f1) in $out${sims:+, simulators in $sims}"
