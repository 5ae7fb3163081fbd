#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests (installing it from Debian's packages if missing)
# and prints the DATABASE_URL to use. Stop it with: scripts/start-postgres.sh stop
set -euo pipefail

port="${PGPORT_TEST:-55432}"
dir="${PGDATA_TEST:-/tmp/pos-test-postgres}"
say() { echo "[postgres] $*" >&2; }

pg_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
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
  say "installing PostgreSQL from Debian's packages..."
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
