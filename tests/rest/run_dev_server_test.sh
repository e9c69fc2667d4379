#!/usr/bin/env bash
# Runs tools/run_dev_server.sh in a copy of the repository layout with
# stand-ins for tools/setup.sh and bazel, and prebuilt binaries in
# bazel-bin. Checks that it
#   - exits with code 1, names REST_ADDRESS and stops the server when
#     another process listens on the REST port, even one that serves
#     GET /openapi.json;
#   - serves gRPC and REST on free ports and stops both on SIGTERM.
# Every process that it starts is stopped on exit, also when a check fails.
#
# Usage: run_dev_server_test.sh RUN_DEV_SERVER SERVER TENANTCTL HEALTH_CHECK
#          GATEWAY
set -uo pipefail

if (($# != 5)); then
  echo "usage: $0 RUN_DEV_SERVER SERVER TENANTCTL HEALTH_CHECK GATEWAY" >&2
  exit 2
fi
run_dev_server="$(realpath "$1")"
health_check="$(realpath "$4")"

work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/run-dev-server-XXXXXX")"
occupant_pid=""
script_pid=""
cleanup() {
  for pid in $script_pid $occupant_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The repository layout that run_dev_server.sh expects, with stand-ins for
# the steps that install packages and build.
repo="$work/repo"
mkdir -p "$repo/tools" "$repo/bazel-bin/services" "$repo/bazel-bin/tools" \
  "$repo/bazel-bin/gateway" "$work/bin"
cp "$run_dev_server" "$repo/tools/run_dev_server.sh"
printf '#!/bin/sh\nexit 0\n' >"$repo/tools/setup.sh"
printf '#!/bin/sh\nexit 0\n' >"$work/bin/bazel"
chmod +x "$work/bin/bazel"
ln -s "$(realpath "$2")" "$repo/bazel-bin/services/tenantry_server"
ln -s "$(realpath "$3")" "$repo/bazel-bin/tools/tenantctl"
ln -s "$health_check" "$repo/bazel-bin/tools/health_check"
ln -s "$(realpath "$5")" "$repo/bazel-bin/gateway/tenantry_gateway"
export PATH="$work/bin:$PATH"

# Prints a free TCP port on 127.0.0.1. Another process may take it before
# the caller binds it, which would fail the test, not pass it wrongly.
free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Succeeds if nothing listens on 127.0.0.1:PORT.
port_is_free() {
  /usr/bin/python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# Case 1: an HTTP server that serves GET /openapi.json listens on the REST
# port, so a check that only requests /openapi.json would pass.
mkdir "$work/occupant"
echo '{}' >"$work/occupant/openapi.json"
/usr/bin/python3 -c 'import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                            directory=sys.argv[1])
server = http.server.HTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.timeout = 1
# At most 120 seconds, in case the test dies before it stops this server.
for _ in range(120):
    server.handle_request()' "$work/occupant" >"$work/occupant.port" \
  2>/dev/null &
occupant_pid=$!
busy_port=""
for _ in $(seq 100); do
  busy_port="$(cat "$work/occupant.port")"
  [[ -n "$busy_port" ]] && break
  sleep 0.1
done
grpc_port="$(free_port)"

code=0
(GRPC_ADDRESS="127.0.0.1:$grpc_port" \
  REST_ADDRESS="127.0.0.1:$busy_port" \
  timeout 30 bash "$repo/tools/run_dev_server.sh") >"$work/busy.log" 2>&1 ||
  code=$?
if [[ "$code" != 1 ]]; then
  fail "busy REST port: exit code $code, expected 1 (124 is a time-out)"
fi
if ! grep -q "REST_ADDRESS 127.0.0.1:$busy_port" "$work/busy.log"; then
  fail "busy REST port: the output does not name REST_ADDRESS"
fi
if "$health_check" --address="127.0.0.1:$grpc_port" --timeout=1s \
  >/dev/null 2>&1; then
  fail "busy REST port: tenantry_server still serves after the script exited"
fi
if ! port_is_free "$grpc_port"; then
  fail "busy REST port: the gRPC port is still in use"
fi
if ((failures > 0)); then
  echo "the output of run_dev_server.sh:"
  cat "$work/busy.log"
fi
kill -TERM "$occupant_pid" 2>/dev/null || true
wait "$occupant_pid" 2>/dev/null || true
occupant_pid=""

# Case 2: free ports. The script serves both until SIGTERM.
failures_before=$failures
grpc_port="$(free_port)"
rest_port="$(free_port)"
GRPC_ADDRESS="127.0.0.1:$grpc_port" REST_ADDRESS="127.0.0.1:$rest_port" \
  timeout 120 bash "$repo/tools/run_dev_server.sh" >"$work/free.log" 2>&1 &
script_pid=$!
ready=false
for _ in $(seq 300); do
  if grep -q "Ctrl-C stops both" "$work/free.log"; then
    ready=true
    break
  fi
  kill -0 "$script_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ "$ready" != true ]]; then
  fail "free ports: run_dev_server.sh did not report both servers ready"
fi
status="$(curl --silent --max-time 5 --output /dev/null \
  --write-out '%{http_code}' -H 'X-Tenant-ID: dev_tenant' \
  "http://127.0.0.1:$rest_port/v1/tenants/dev_tenant/profiles?page_size=1")"
if [[ "$status" != 200 ]]; then
  fail "free ports: GET profiles through the gateway returned HTTP $status"
fi
kill -TERM "$script_pid" 2>/dev/null || true
stopped=false
for _ in $(seq 100); do
  if ! kill -0 "$script_pid" 2>/dev/null; then
    stopped=true
    break
  fi
  sleep 0.1
done
wait "$script_pid" 2>/dev/null || true
script_pid=""
if [[ "$stopped" != true ]]; then
  fail "free ports: run_dev_server.sh did not stop within 10 s of SIGTERM"
fi
for port in "$grpc_port" "$rest_port"; do
  if ! port_is_free "$port"; then
    fail "free ports: port $port is still in use after SIGTERM"
  fi
done
if ((failures > failures_before)); then
  echo "the output of run_dev_server.sh:"
  cat "$work/free.log"
fi

if ((failures > 0)); then
  echo "run_dev_server_test: $failures checks failed"
  exit 1
fi
echo "run_dev_server_test: all checks passed"
