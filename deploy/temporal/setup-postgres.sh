#!/bin/sh
# docker-compose.yml's temporal-schema-setup: creates Temporal's two databases in the compose
# PostgreSQL and brings them to the schema of this temporal-sql-tool (the admin-tools image of the
# server's release). It runs at every `docker compose up`, so every step is a no-op when done:
# `create` ignores an existing database, `setup-schema -v 0.0` only versions an unversioned
# database, `update-schema` applies only the versions not yet applied.
# Modelled on temporalio/samples-server compose/scripts/setup-postgres.sh.
# Environment: POSTGRES_SEEDS (host), DB_PORT, POSTGRES_USER, SQL_PASSWORD (read by the tool
# itself); TEMPORAL_DB, VISIBILITY_DB and TEMPORAL_SCHEMA_DIR have the image's defaults.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
port="${DB_PORT:-5432}"
schemas="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"

setup() {
  db="$1"
  schema="$2"
  echo "database $db: schema $schemas/$schema"
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" --db "$db" create
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" --db "$db" setup-schema -v 0.0
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$port" -u "$POSTGRES_USER" --db "$db" update-schema -d "$schemas/$schema/versioned"
}

setup "${TEMPORAL_DB:-temporal}" temporal
setup "${VISIBILITY_DB:-temporal_visibility}" visibility
echo "Temporal's databases are ready"
