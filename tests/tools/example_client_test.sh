#!/usr/bin/env bash
# Starts tenantry_server on a free port with the sample data, runs the
# README's Python example client against it, and stops the server with
# SIGTERM, which must end it cleanly.
#
# Usage: example_client_test.sh SERVER TENANTCTL CLIENT sqlite|postgresql
# With postgresql, the shared store is a new database on the server named
# by TENANTRY_TEST_POSTGRES_URL, which tools/test.sh starts.
set -euo pipefail

server="$1"
tenantctl="$2"
client="$3"
backend="$4"
data="$(mktemp -d "${TEST_TMPDIR:-/tmp}/example-client-XXXXXX")"
log="$data/server.log"

shared_db="sqlite:$data/shared.db"
if [[ "$backend" == postgresql ]]; then
  if [[ -z "${TENANTRY_TEST_POSTGRES_URL:-}" ]]; then
    echo "FAIL: TENANTRY_TEST_POSTGRES_URL is not set; run tools/test.sh," \
      "which starts a PostgreSQL server and sets it"
    exit 1
  fi
  database="example_client_$$"
  psql --quiet "$TENANTRY_TEST_POSTGRES_URL" \
    --command="CREATE DATABASE $database"
  shared_db="${TENANTRY_TEST_POSTGRES_URL%/*}/$database"
fi

"$tenantctl" --data_dir="$data" --shared_db="$shared_db" migrate shared \
  >/dev/null
"$tenantctl" --data_dir="$data" --shared_db="$shared_db" init-dev-data \
  >/dev/null
"$server" --data_dir="$data" --shared_db="$shared_db" \
  --listen=127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT

# The server logs its port once it listens; wait up to 10 seconds.
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$log")"
  [[ -n "$port" ]] && break
  sleep 0.1
done
if [[ -z "$port" ]]; then
  echo "FAIL: the server did not start; its log:"
  cat "$log"
  exit 1
fi

bash "$client" "127.0.0.1:$port"
if [[ "$backend" == postgresql ]] &&
  ! grep -q "shared store: postgresql://tenantry:\*\*\*@" "$log"; then
  echo "FAIL: the server log does not show the redacted PostgreSQL URL:"
  cat "$log"
  exit 1
fi

kill -TERM "$pid"
code=0
wait "$pid" || code=$?
if [[ "$code" != 0 ]] || ! grep -q "tenantry_server stopped" "$log"; then
  echo "FAIL: SIGTERM ended the server with exit code $code; its log:"
  cat "$log"
  exit 1
fi
if ! grep -q "code=OK" "$log"; then
  echo "FAIL: the access log has no successful call; the server log:"
  cat "$log"
  exit 1
fi
echo "the server stopped cleanly on SIGTERM"
