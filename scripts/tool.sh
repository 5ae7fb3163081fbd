#!/usr/bin/env bash
# The npm scripts that run a tool (`npm start`, `npm run chaos`, `bench`, `simulate`, `cluster`,
# ...): `npm run build`, the Temporal binaries the tool needs, then the tool. `--help` (or `-h`)
# answers at once instead, before any build or provisioning: the tool's own usage, from its
# TypeScript source transpiled in memory (scripts/ts-register.js), or its source's opening comment.
#   bash scripts/tool.sh ENTRY PROVISION [tool arguments...]
#     ENTRY      the tool's source without .ts (tools/chaos/main), built to build/ENTRY.js
#     PROVISION  provision-temporal.sh's targets, comma-separated (cli, test-server, all, cluster), or -
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bash scripts/tool.sh ENTRY PROVISION [tool arguments...]" >&2; exit 2; }
entry="$1" provision="$2"
shift 2

for arg in "$@"; do
  case "$arg" in
    --) break ;;
    -h | --help)
      # Tools that parse their arguments print their usage and exit before starting anything.
      if grep -qE "argsOrUsage|'--help'" "$entry.ts"; then exec node -r ./scripts/ts-register.js "$entry.ts" "$@"; fi
      steps="npm run build, $([ "$provision" = - ] && echo "nothing to provision" || echo "provision-temporal.sh ${provision//,/ }")"
      echo "usage: npm run ${npm_lifecycle_event:-$entry} ($steps, then node build/$entry.js)"
      sed -n '1,/\*\//p' "$entry.ts" | sed -e 's#^/\*\*##' -e 's#^ \*/##' -e 's#^ \* \{0,1\}#  #' | sed '/^\s*$/d'
      exit 0
      ;;
  esac
done

npm run --silent build
if [ "$provision" != - ]; then bash scripts/provision-temporal.sh ${provision//,/ }; fi
exec node "build/$entry.js" "$@"
