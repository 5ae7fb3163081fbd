#!/usr/bin/env bash
# Prints the path of a Chromium (or Chrome) for the Web UI test (test/web-ui.test.ts drives it with
# playwright-core, which never downloads a browser). Looks at CHROMIUM_PATH, then the usual places;
# where none is found and the machine allows it (root, apt-get), installs Debian's chromium;
# otherwise exits 1 with the command to run.
#   bash scripts/find-chromium.sh [--no-install]
set -euo pipefail
say() { echo "[chromium] $*" >&2; }
case "${1:-}" in -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] || { say "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file"; exit 1; }
  echo "$CHROMIUM_PATH"; exit 0
fi

find_one() {
  local candidate
  for candidate in chromium chromium-browser google-chrome-stable google-chrome; do
    candidate="$(command -v "$candidate" 2>/dev/null)" || continue
    if [ -f "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  for candidate in /usr/bin/chromium /usr/lib/chromium/chromium /snap/bin/chromium \
    "/Applications/Chromium.app/Contents/MacOS/Chromium" "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"; do
    if [ -f "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

if find_one; then exit 0; fi
if [ "${1:-}" != --no-install ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  say "no Chromium found: installing Debian's chromium (apt-get install chromium)..."
  started=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >&2 && apt-get install -y -qq chromium >&2 && find_one; then
    say "installed in $((SECONDS - started)) s"; exit 0
  fi
  say "apt-get could not install chromium"
fi
say "no Chromium found. Install it: 'sudo apt-get install chromium' (Debian/Ubuntu; Ubuntu's is a snap: 'sudo snap install chromium'), 'brew install --cask chromium' (macOS), or set CHROMIUM_PATH to a Chromium or Chrome binary"
exit 1
