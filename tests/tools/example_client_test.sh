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
source tests/testing/server_fixture.sh
data="$(mktemp -d "${TEST_TMPDIR:-/tmp}/example-client-XXXXXX")"
trap 'stop_tenantry_server || true; rm -rf "$data"' EXIT

shared_db="sqlite:$data/shared.db"
if [[ "$backend" == postgresql ]]; then
  shared_db="$(postgres_test_database "example_client_${RANDOM}${RANDOM}")"
fi

"$tenantctl" --data_dir="$data" --shared_db="$shared_db" migrate shared \
  >/dev/null
"$tenantctl" --data_dir="$data" --shared_db="$shared_db" init-dev-data \
  >/dev/null
start_tenantry_server "$server" "$data" --shared_db="$shared_db"

bash "$client" "127.0.0.1:$SERVER_PORT"
if [[ "$backend" == postgresql ]] &&
  ! grep -q "shared store: postgresql://tenantry:\*\*\*@" "$SERVER_LOG"; then
  echo "FAIL: the server log does not show the redacted PostgreSQL URL:"
  cat "$SERVER_LOG"
  exit 1
fi

code=0
stop_tenantry_server || code=$?
if [[ "$code" != 0 ]] || ! grep -q "tenantry_server stopped" "$SERVER_LOG"; then
  echo "FAIL: SIGTERM ended the server with exit code $code; its log:"
  cat "$SERVER_LOG"
  exit 1
fi
if ! grep -q "code=OK" "$SERVER_LOG"; then
  echo "FAIL: the access log has no successful call; the server log:"
  cat "$SERVER_LOG"
  exit 1
fi
echo "the server stopped cleanly on SIGTERM"
