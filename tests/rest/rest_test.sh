#!/usr/bin/env bash
# Starts tenantry_server with the sample data and tenantry_gateway in front
# of it, both on free 127.0.0.1 ports, and runs rest_test.py through the
# gateway. Some of its tests start more gateways from GATEWAY_BINARY. Then
# stops the server, checks that the gateway returns 503, and stops the
# gateway with SIGTERM, which must end it cleanly. Both processes are
# stopped on exit, also when a step fails.
#
# Usage: rest_test.sh SERVER TENANTCTL GATEWAY REST_TEST_PY README
set -euo pipefail

server="$1"
tenantctl="$2"
gateway="$3"
rest_test="$4"
readme="$5"
source tests/testing/server_fixture.sh

data="$(mktemp -d "${TEST_TMPDIR:-/tmp}/rest-XXXXXX")"
GATEWAY_PID=""
GATEWAY_LOG="$data/gateway.log"

stop_gateway() {
  [[ -n "$GATEWAY_PID" ]] || return 0
  local code=0
  kill -TERM "$GATEWAY_PID" 2>/dev/null || true
  wait "$GATEWAY_PID" || code=$?
  GATEWAY_PID=""
  return "$code"
}

trap 'stop_gateway || true; stop_tenantry_server || true; rm -rf "$data"' EXIT

"$tenantctl" --data_dir="$data" migrate shared >/dev/null
"$tenantctl" --data_dir="$data" init-dev-data >/dev/null
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
url="http://127.0.0.1:$gateway_port"
export GATEWAY_BINARY="$gateway"
export BACKEND_ADDRESS="127.0.0.1:$SERVER_PORT"
export GATEWAY_PID

run_suite() {
  if ! /usr/bin/python3 "$rest_test" "$url" "$readme" "$@"; then
    echo "FAIL: rest_test.py $*; the gateway log:"
    cat "$GATEWAY_LOG"
    echo "the server log:"
    cat "$SERVER_LOG"
    exit 1
  fi
}

run_suite ResourceTest UpdateMaskTest ErrorMappingTest TenantLifecycleTest \
  TenantHeaderTest OpenApiTest OpenApiSpecTest GatewayErrorTest BodyLimitTest \
  BackendLimitTest FakeBackendTest FlagTest ReadmeExamplesTest

code=0
stop_tenantry_server || code=$?
if [[ "$code" != 0 ]]; then
  echo "FAIL: SIGTERM ended the server with exit code $code; its log:"
  cat "$SERVER_LOG"
  exit 1
fi
run_suite BackendDownTest

code=0
stop_gateway || code=$?
if [[ "$code" != 0 ]] || ! grep -q "tenantry_gateway stopped" "$GATEWAY_LOG"
then
  echo "FAIL: SIGTERM ended the gateway with exit code $code; its log:"
  cat "$GATEWAY_LOG"
  exit 1
fi
echo "the REST suite passed and the gateway stopped cleanly on SIGTERM"
