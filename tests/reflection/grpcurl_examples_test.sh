#!/usr/bin/env bash
# Starts tenantry_server with the sample data and runs the README's grpcurl
# examples against it through grpcurl_examples_test.py: first the general
# ones with authentication off, then the API key ones with an admin key.
# Usage: grpcurl_examples_test.sh SERVER TENANTCTL
set -euo pipefail

server="$1"
tenantctl="$2"
source tests/testing/server_fixture.sh
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/grpcurl-examples-XXXXXX")"
trap 'stop_tenantry_server || true; rm -rf "$work"' EXIT

/usr/bin/python3 -m grpc_tools.protoc -Itests/reflection \
  --python_out="$work" --grpc_python_out="$work" \
  tests/reflection/grpc_reflection/reflection.proto
"$tenantctl" --data_dir="$work/data" migrate shared >/dev/null
"$tenantctl" --data_dir="$work/data" init-dev-data >/dev/null
start_tenantry_server "$server" "$work/data"
/usr/bin/python3 tests/reflection/grpcurl_examples_test.py README.md \
  "127.0.0.1:$SERVER_PORT" "$work"
stop_tenantry_server

TENANTRY_ADMIN_KEY="$(openssl rand -hex 32)"
export TENANTRY_ADMIN_KEY
TENANTRY_TEST_AUTH=1 start_tenantry_server "$server" "$work/data"
/usr/bin/python3 tests/reflection/grpcurl_examples_test.py README.md \
  "127.0.0.1:$SERVER_PORT" "$work" api-key-examples
