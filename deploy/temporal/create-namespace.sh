#!/bin/sh
# docker-compose.yml's temporal-create-namespace: registers the service's namespace and the
# search attributes the code uses (src/transaction/search-attributes.ts; the worker refuses to start
# without them), then waits until the frontend accepts a visibility query on them (as
# sandbox/cluster/temporal-server.ts ensureNamespace does). Every step is a no-op when done:
# `search-attribute create` of an attribute that exists with the same type succeeds, with another
# type it fails (and so does this job).
# Modelled on temporalio/samples-server compose/scripts/create-namespace.sh.
# Environment: TEMPORAL_ADDRESS, NAMESPACE (default `default`), NAMESPACE_RETENTION (default 72h).
set -eu

address="${TEMPORAL_ADDRESS:-temporal:7233}"
namespace="${NAMESPACE:-default}"
retention="${NAMESPACE_RETENTION:-72h}"
attempts="${MAX_ATTEMPTS:-60}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# The service's search attributes, name:type (the temporal CLI's type names).
SEARCH_ATTRIBUTES="TransactionStatus:Keyword CustomerId:Keyword TransactionAmount:Int MerchantId:Keyword"

# Runs "$@" until it succeeds, every 2 s, at most $attempts times.
retry() {
  what="$1"
  shift
  n=1
  until "$@" >"$log" 2>&1; do
    # A search attribute registered with another type stays so: no point in waiting.
    if [ "$n" -ge "$attempts" ] || grep -q 'different type' "$log"; then
      cat "$log" >&2
      echo "failed after $n attempts: $what" >&2
      exit 1
    fi
    n=$((n + 1))
    sleep 2
  done
  echo "$what: done"
}

create_namespace() {
  temporal operator namespace describe --address "$address" -n "$namespace" >/dev/null 2>&1 ||
    temporal operator namespace create --address "$address" -n "$namespace" --retention "$retention"
}

retry "Temporal at $address is serving" temporal operator cluster health --address "$address"
retry "namespace $namespace" create_namespace
query=""
for attribute in $SEARCH_ATTRIBUTES; do
  name="${attribute%%:*}"
  type="${attribute#*:}"
  # One attribute per call, so that a failure names it.
  retry "search attribute $name ($type)" temporal operator search-attribute create --address "$address" -n "$namespace" --name "$name" --type "$type"
  query="${query:+$query AND }$name IS NULL"
done
retry "the frontend accepts a query on the search attributes" temporal workflow count --address "$address" -n "$namespace" --query "$query"
echo "namespace $namespace is ready"
