#!/usr/bin/env bash
# Starts tenantry_server and runs reflection_test.py against it.
# Usage: reflection_test.sh SERVER
set -euo pipefail

server="$1"
source tests/testing/server_fixture.sh
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/reflection-XXXXXX")"
trap 'stop_tenantry_server || true; rm -rf "$work"' EXIT

/usr/bin/python3 -m grpc_tools.protoc -Itests/reflection \
  --python_out="$work" --grpc_python_out="$work" \
  tests/reflection/grpc_reflection/reflection.proto
start_tenantry_server "$server" "$work/data"
/usr/bin/python3 tests/reflection/reflection_test.py \
  "127.0.0.1:$SERVER_PORT" "$work"
