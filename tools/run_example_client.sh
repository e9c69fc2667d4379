#!/usr/bin/env bash
# Generates Python stubs from proto/ and runs tools/example_client.py
# against a server, by default the one tools/run_dev_server.sh starts.
# Usage: tools/run_example_client.sh [ADDRESS]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
address="${1:-127.0.0.1:50051}"
stubs="$(mktemp -d)"
trap 'rm -rf "$stubs"' EXIT

# google/api/annotations.proto ships with Debian's grpc-gateway package.
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
/usr/bin/python3 -m grpc_tools.protoc -I"$here/../proto" -I"$googleapis" \
  --python_out="$stubs" --grpc_python_out="$stubs" \
  "$here"/../proto/tenantry/v1/*.proto "$googleapis"/google/api/*.proto
/usr/bin/python3 "$here/example_client.py" "$address" "$stubs"
