#!/usr/bin/env bash
# health_check exits 0 against a running server and 1 once it is gone.
# Usage: health_check_test.sh SERVER HEALTH_CHECK
set -euo pipefail

server="$1"
health_check="$2"
source tests/testing/server_fixture.sh
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/health-XXXXXX")"
trap 'stop_tenantry_server || true; rm -rf "$work"' EXIT

start_tenantry_server "$server" "$work/data"
output="$("$health_check" --address="127.0.0.1:$SERVER_PORT")"
if [[ "$output" != SERVING ]]; then
  echo "FAIL: health_check printed \"$output\", expected SERVING"
  exit 1
fi

stop_tenantry_server
code=0
"$health_check" --address="127.0.0.1:$SERVER_PORT" --timeout=1s || code=$?
if [[ "$code" != 1 ]]; then
  echo "FAIL: health_check exited $code for a stopped server, expected 1"
  exit 1
fi
echo "health_check follows the server's state"
