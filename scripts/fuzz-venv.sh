#!/usr/bin/env bash
# The fuzzer's Python environment: a venv with schemathesis (from PyPI) in the project's cache
# (outside the work tree), made once; prints its folder. Where Python's venv module is missing
# (Debian's python3 without python3-venv) and the machine allows it (root, apt-get), installs it.
#   bash scripts/fuzz-venv.sh
set -euo pipefail
say() { echo "[fuzz] $*" >&2; }
case "${1:-}" in -h | --help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

version=4.32.5
cache="${POS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pos-payments}"
venv="$cache/schemathesis-$version"
mkdir -p "$cache"
# One installer at a time (a second waits, then finds the venv complete).
if command -v flock >/dev/null 2>&1; then exec 9>"$cache/.schemathesis.lock" && flock 9; fi
if [ -f "$venv/.complete" ]; then echo "$venv"; exit 0; fi

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if can_apt; then
    say "installing Python's venv from Debian's packages (apt-get install python3-venv)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq python3 python3-venv >&2
  else
    say "the fuzzer needs Python 3 with its venv module: install it ('sudo apt-get install python3-venv' on Debian/Ubuntu)"
    exit 1
  fi
fi
started=$SECONDS
say "installing schemathesis $version into $venv"
rm -rf "$venv" && python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$version" >&2
touch "$venv/.complete"
say "ready in $((SECONDS - started)) s"
echo "$venv"
