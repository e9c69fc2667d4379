#!/usr/bin/env bash
# Starts empty_server on a free 127.0.0.1 port, calls EmptyService/Call and
# the health service with Debian's python3-grpcio, and checks that SIGTERM
# stops it with exit code 0.
#
# Usage: empty_server_test.sh EMPTY_SERVER
set -euo pipefail

empty_server="$1"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/empty-server-XXXXXX")"
server_pid=""
cleanup() {
  [[ -z "$server_pid" ]] || kill -TERM "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/server.log" ]] && sed 's/^/  server: /' "$work/server.log" >&2
  exit 1
}

: >"$work/server.log"
"$empty_server" --listen=127.0.0.1:0 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$work/server.log")"
  [[ -n "$port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || fail "empty_server exited at start"
  sleep 0.1
done
[[ -n "$port" ]] || fail "empty_server did not log its port within 10 s"

# Raw bytes: google.protobuf.Empty and a HealthCheckRequest for service ""
# are empty; a HealthCheckResponse with status SERVING (1) is 08 01.
/usr/bin/python3 - "$port" <<'PYTHON'
import sys

import grpc

channel = grpc.insecure_channel(f"127.0.0.1:{sys.argv[1]}")


def call(method, request):
    stub = channel.unary_unary(method, request_serializer=lambda raw: raw,
                               response_deserializer=lambda raw: raw)
    return stub(request, timeout=10)


response = call("/tenantry.bench.EmptyService/Call", b"")
if response != b"":
    sys.exit(f"FAIL: EmptyService/Call returned {response!r}, expected b''")
response = call("/grpc.health.v1.Health/Check", b"")
if response != b"\x08\x01":
    sys.exit(f"FAIL: Health/Check returned {response!r}, expected SERVING (b'\\x08\\x01')")
try:
    call("/tenantry.bench.EmptyService/Missing", b"")
    sys.exit("FAIL: an unknown method succeeded")
except grpc.RpcError as error:
    if error.code() != grpc.StatusCode.UNIMPLEMENTED:
        sys.exit(f"FAIL: an unknown method gave {error.code()}, expected UNIMPLEMENTED")
PYTHON

kill -TERM "$server_pid"
code=0
timeout 20 tail --pid="$server_pid" -f /dev/null || fail "empty_server did not stop within 20 s of SIGTERM"
wait "$server_pid" || code=$?
server_pid=""
((code == 0)) || fail "empty_server exited with code $code after SIGTERM"
grep -q "empty_server stopped" "$work/server.log" || fail "no 'stopped' line in the log"
echo "PASS"
