#!/usr/bin/env bash
# Generates the Python stubs from proto/ and starts tenantry_server on a
# free 127.0.0.1 port with a SQLite shared store in a temporary directory.
# Then runs client_test.py against it with Debian's /usr/bin/python3, and
# stops the server by its PID on exit, also when a step fails.
#
# Usage: client_test.sh SERVER
set -euo pipefail

server="$1"
source tests/testing/server_fixture.sh
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/python-client-XXXXXX")"
cleanup() {
  local code=$?
  stop_tenantry_server || true
  if [[ "$code" != 0 && -f "$work/data/server.log" ]]; then
    echo "the server log:"
    cat "$work/data/server.log"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# google/api/annotations.proto ships with Debian's grpc-gateway package.
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
mkdir "$work/stubs"
/usr/bin/python3 -m grpc_tools.protoc -Iproto -I"$googleapis" \
  --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  proto/tenantry/v1/*.proto "$googleapis"/google/api/*.proto

start_tenantry_server "$server" "$work/data" \
  --shared_db="sqlite:$work/data/shared.db"

# The timeout ends a hung suite before Bazel's 60-second timeout of small
# tests kills this script, so that the trap still prints the server log.
PYTHONPATH="$work/stubs" TENANTRY_ADDRESS="127.0.0.1:$SERVER_PORT" \
  timeout 50 /usr/bin/python3 tests/clients/python/client_test.py -v

code=0
stop_tenantry_server || code=$?
if [[ "$code" != 0 ]]; then
  echo "FAIL: SIGTERM ended the server with exit code $code"
  exit 1
fi
