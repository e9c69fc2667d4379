#!/usr/bin/env bash
# Generates the Python stubs from proto/ and runs crash_durability_test.py
# with Debian's /usr/bin/python3 in a temporary directory. The Python test
# starts, kills and restarts tenantry_server itself and stops every server
# it started by its PID, also when a step fails.
#
# Usage: crash_durability_test.sh SERVER HEALTH_CHECK [TEST_FLAG...]
# where TEST_FLAG is --synchronous=FULL|NORMAL or --remove_tenant_wal.
set -euo pipefail

server="$1"
health_check="$2"
shift 2
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/crash-durability-XXXXXX")"
cleanup() {
  local code=$?
  # Bazel keeps TEST_UNDECLARED_OUTPUTS_DIR in bazel-testlogs as
  # test.outputs/outputs.zip, so the full server logs outlive $work.
  if [[ "$code" != 0 && -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]]; then
    cp "$work"/run/*.log "$TEST_UNDECLARED_OUTPUTS_DIR"/ 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# google/api/annotations.proto ships with Debian's grpc-gateway package.
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
mkdir "$work/stubs" "$work/run"
/usr/bin/python3 -m grpc_tools.protoc -Iproto -I"$googleapis" \
  --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  proto/tenantry/v1/*.proto "$googleapis"/google/api/*.proto

# The timeout ends a hung test before Bazel's 60-second timeout of small
# tests kills this script. SIGTERM lets Python's finally blocks stop the
# servers, and --kill-after sends SIGKILL 3 seconds later if Python hangs.
PYTHONPATH="$work/stubs" timeout --kill-after=3 50 /usr/bin/python3 \
  tests/durability/crash_durability_test.py --server="$server" \
  --health_check="$health_check" --work_dir="$work/run" "$@"
