#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests (installing it from Debian's packages if missing and
# the machine allows it: root and apt-get) and prints the DATABASE_URL to use.
#   PGPORT_TEST=55432 PGDATA_TEST=/tmp/pos-test-postgres bash scripts/start-postgres.sh [stop]
# The data folder must be one PostgreSQL's user can reach (as root: `postgres`), e.g. under /tmp.
# `npm test` (test/global-setup.ts) calls it on a free port when DATABASE_URL is unset.
set -euo pipefail

port="${PGPORT_TEST:-55432}"
dir="${PGDATA_TEST:-/tmp/pos-test-postgres}"
say() { echo "[postgres] $*" >&2; }
case "${1:-}" in -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

# Debian's layout first (/usr/lib/postgresql/<major>/bin), then pg_config's or initdb's folder (Homebrew, other distributions).
# A folder counts only with the server in it: Debian's client package alone fills the same folder without initdb.
pg_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | while read -r d; do [ -x "$d/initdb" ] && echo "$d"; done | sort -V | tail -n 1)"
  if [ -z "$found" ] && command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then found="$(pg_config --bindir)"; fi
  if [ -z "$found" ] && command -v initdb >/dev/null 2>&1; then found="$(dirname "$(command -v initdb)")"; fi
  [ -n "$found" ] && echo "$found"
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = stop ]; then
  bin="$(pg_bin)" && [ -d "$dir" ] && as_postgres "$bin/pg_ctl" -D "$dir" -m fast stop >&2 || true
  exit 0
fi

if [ -z "$(pg_bin)" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "no PostgreSQL server found: install it ('sudo apt-get install postgresql', 'brew install postgresql') or set DATABASE_URL to a PostgreSQL to use"
    exit 1
  fi
  say "installing PostgreSQL from Debian's packages (apt-get install postgresql)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
bin="$(pg_bin)"

if [ -f "$dir/postmaster.pid" ]; then as_postgres "$bin/pg_ctl" -D "$dir" -m immediate stop >&2 || true; fi
rm -rf "$dir"
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres: "$dir"
as_postgres "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "-p $port -k /tmp -c listen_addresses=127.0.0.1" -w start >&2
as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres pos_test
say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') listening on 127.0.0.1:$port"
echo "postgres://postgres@127.0.0.1:$port/pos_test"
