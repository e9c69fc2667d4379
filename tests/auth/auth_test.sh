#!/usr/bin/env bash
# Generates the tenantry.v1 Python stubs from proto/ and runs one of the
# authentication suites in tests/auth with Debian's /usr/bin/python3. The
# suite starts and stops its own servers (and gateways) by PID.
#
# Usage: auth_test.sh TEST_PY SERVER [GATEWAY]
set -euo pipefail

test_py="$1"
export TENANTRY_SERVER="$2"
export TENANTRY_GATEWAY="${3:-}"

work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/auth-stubs-XXXXXX")"
trap 'rm -rf "$work"' EXIT

# google/api/annotations.proto ships with Debian's grpc-gateway package.
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
/usr/bin/python3 -m grpc_tools.protoc -Iproto -I"$googleapis" \
  --python_out="$work" --grpc_python_out="$work" \
  proto/tenantry/v1/*.proto "$googleapis"/google/api/*.proto

# The timeout ends a hung suite before Bazel's 60-second timeout of small
# tests kills this script without a report.
PYTHONPATH="$work:$(dirname "$test_py")" \
  timeout 55 /usr/bin/python3 "$test_py" -v
