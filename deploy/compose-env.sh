#!/bin/sh
# Writes the secrets docker-compose.yml reads from `.env` (next to it; Compose reads that file for
# ${...} substitution): fresh payload encryption keys, generated here, never committed. It never
# overwrites an existing file: the keys decrypt the workflow history already stored, and losing
# them loses every stored workflow's inputs and results.
#
#   bash deploy/compose-env.sh            # writes ./.env unless it exists
#   bash deploy/compose-env.sh FILE       # writes FILE instead
set -eu

file="${1:-$(dirname "$0")/../.env}"
if [ -e "$file" ]; then
  echo "$file exists: kept (it holds the keys of the stored history)" >&2
  exit 0
fi

# 32 random bytes in standard base64, what `openssl rand -base64 32` prints (coreutils only).
key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }

umask 077
cat >"$file" <<ENV
# docker-compose.yml's secrets, written by deploy/compose-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ).
# Keep this file and never commit it. PAYLOAD_ENCRYPTION_KEYS decrypts the stored workflow
# history: to rotate, append a new keyId:key entry (the last one encrypts) and keep the old ones.
PAYLOAD_ENCRYPTION_KEYS=compose-$(date -u +%Y%m%d):$(key)
CUSTOMER_PSEUDONYM_KEY=$(key)
# The codec server's token: the Web UI's codec endpoint carries it (docker-compose.yml).
CODEC_SERVER_TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '\n/+=')
ENV
echo "wrote $file (PAYLOAD_ENCRYPTION_KEYS, CUSTOMER_PSEUDONYM_KEY, CODEC_SERVER_TOKEN)" >&2
