#!/usr/bin/env bash
# Starts tenantry_server and tenantry_gateway on free 127.0.0.1 ports and
# runs quota_rest_test.py through the gateway: tenant quotas set, cleared
# and validated with PATCH, GET of a tenant's usage, and a CreateProfile
# past max_profiles as HTTP 429. Both processes are stopped on exit.
#
# Usage: quota_rest_test.sh SERVER GATEWAY QUOTA_REST_TEST_PY
set -euo pipefail

server="$1"
gateway="$2"
quota_test="$3"
source tests/testing/server_fixture.sh

data="$(mktemp -d "${TEST_TMPDIR:-/tmp}/quota-rest-XXXXXX")"
GATEWAY_PID=""
GATEWAY_LOG="$data/gateway.log"

stop_gateway() {
  [[ -n "$GATEWAY_PID" ]] || return 0
  kill -TERM "$GATEWAY_PID" 2>/dev/null || true
  wait "$GATEWAY_PID" || true
  GATEWAY_PID=""
}

trap 'stop_gateway; stop_tenantry_server || true; rm -rf "$data"' EXIT

start_tenantry_server "$server" "$data"

"$gateway" --listen=127.0.0.1:0 --backend="127.0.0.1:$SERVER_PORT" \
  2>"$GATEWAY_LOG" &
GATEWAY_PID=$!
gateway_port=""
for attempt in $(seq 100); do
  gateway_port="$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' \
    "$GATEWAY_LOG")"
  [[ -n "$gateway_port" ]] && break
  kill -0 "$GATEWAY_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$gateway_port" ]]; then
  echo "FAIL: tenantry_gateway did not start within 10 seconds; its log:"
  cat "$GATEWAY_LOG"
  exit 1
fi

if ! /usr/bin/python3 "$quota_test" "http://127.0.0.1:$gateway_port"; then
  echo "FAIL: quota_rest_test.py; the gateway log:"
  cat "$GATEWAY_LOG"
  echo "the server log:"
  cat "$SERVER_LOG"
  exit 1
fi
