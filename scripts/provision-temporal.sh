#!/usr/bin/env bash
# Provisions the Temporal binaries the service and its tests run on, without Docker or internet:
#   - the Temporal CLI (dev server + Web UI), built from the Go module proxy;
#   - the Java time-skipping test server, resolved from Maven Central.
# Both are cached outside the work tree, in $POS_CACHE_DIR (default ~/.cache/pos-payments),
# behind stable links bin/temporal and bin/temporal-test-server, which sandbox/config.ts (npm start)
# and test/helpers/temporal.ts (the tests) read.
# A build writes into a temporary folder and is moved into place only when complete, so an
# interrupted run never leaves a half-written binary behind.
set -euo pipefail

TEMPORAL_CLI_VERSION=1.5.1          # newest tag that `go install` accepts (no replace directives)
TEST_SERVER_VERSION=1.38.0          # io.temporal:temporal-test-server on Maven Central

cache="${POS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pos-payments}"
mkdir -p "$cache/bin"
say() { echo "[provision] $*" >&2; }

link() { ln -sfn "$1" "$cache/bin/$2.tmp" && mv -Tf "$cache/bin/$2.tmp" "$cache/bin/$2"; }

provision_cli() {
  if [ -n "${TEMPORAL_CLI:-}" ]; then
    [ -x "$TEMPORAL_CLI" ] || { say "TEMPORAL_CLI=$TEMPORAL_CLI is not an executable file"; exit 1; }
    say "Temporal CLI: using TEMPORAL_CLI=$TEMPORAL_CLI"; return
  fi
  local dir="$cache/temporal-cli-$TEMPORAL_CLI_VERSION"
  if [ -x "$dir/temporal" ]; then
    link "$dir/temporal" temporal; say "Temporal CLI $TEMPORAL_CLI_VERSION: cached at $dir/temporal"; return
  fi
  if ! command -v go >/dev/null 2>&1; then
    say "Temporal CLI: no cached build and no Go toolchain; the tests will let the SDK download it (needs internet)."
    say "  To run 'npm start' here, install Go or set TEMPORAL_CLI to a temporal binary."
    return
  fi
  local tmp; tmp="$(mktemp -d "$cache/.build-cli.XXXXXX")"
  trap 'rm -rf "$tmp"' RETURN
  say "Temporal CLI $TEMPORAL_CLI_VERSION: building from the Go module proxy (a one-time build; many minutes on 2 cores)..."
  ( CGO_ENABLED=0 GOBIN="$tmp/bin" go install \
      -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$TEMPORAL_CLI_VERSION" \
      "github.com/temporalio/cli/cmd/temporal@v$TEMPORAL_CLI_VERSION" >"$tmp/build.log" 2>&1 ) &
  local pid=$! started=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 30; kill -0 "$pid" 2>/dev/null && say "  still building... $((SECONDS - started)) s"
  done
  if ! wait "$pid"; then tail -20 "$tmp/build.log" >&2; say "Temporal CLI build failed"; exit 1; fi
  "$tmp/bin/temporal" --version >&2
  rm -rf "$dir.partial" && mkdir -p "$dir.partial" && mv "$tmp/bin/temporal" "$dir.partial/temporal"
  mv -T "$dir.partial" "$dir"
  link "$dir/temporal" temporal
  say "Temporal CLI $TEMPORAL_CLI_VERSION: built in $((SECONDS - started)) s -> $dir/temporal"
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
  if ! mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp/out/lib" >"$tmp/mvn.log" 2>&1; then
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

# What to provision: `cli` (npm start, chaos, bench), `test-server` or everything (the tests).
case "${1:-all}" in
  cli) provision_cli ;;
  test-server) provision_test_server ;;
  all) provision_cli; provision_test_server ;;
  *) say "usage: provision-temporal.sh [cli|test-server|all]"; exit 2 ;;
esac
