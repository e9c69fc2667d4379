#!/usr/bin/env bash
# tenantry_server's --metrics_listen, run as an operator runs it:
#   - without the flag the server listens on one TCP socket, gRPC's;
#   - with it, GET /metrics returns over HTTP with the 0.0.4 content type,
#     text that a strict Python parser of the format accepts, and call
#     counts that match calls made through gRPC; other paths get 404;
#   - invalid values and a port in use end the start with exit code 1 and
#     a message that names the flag;
#   - SIGTERM with a silent HTTP connection open still stops the server
#     within --shutdown_grace plus a margin, with exit code 0.
#
# Usage: metrics_endpoint_test.sh SERVER
set -euo pipefail

server="$1"
grace_seconds=1
margin_seconds=4

source tests/testing/server_fixture.sh
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/metrics-endpoint-XXXXXX")"
helper_pids=()
cleanup() {
  local code=$?
  stop_tenantry_server || true
  local pid
  for pid in "${helper_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ "$code" != 0 && -n "${SERVER_LOG:-}" && -f "$SERVER_LOG" ]]; then
    echo "the last server log:"
    cat "$SERVER_LOG"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  exit 1
}

# Prints the number of TCP sockets in LISTEN state that process PID has
# open, from /proc/PID/fd and /proc/net/tcp{,6}.
listening_sockets() {
  /usr/bin/python3 - "$1" <<'EOF'
import os, sys
pid = sys.argv[1]
inodes = set()
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        continue
    if target.startswith("socket:["):
        inodes.add(target[len("socket:["):-1])
count = 0
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    with open(table) as lines:
        next(lines)
        for line in lines:
            fields = line.split()
            # Field 4 is the state (0A is LISTEN), field 10 the inode.
            if fields[3] == "0A" and fields[9] in inodes:
                count += 1
print(count)
EOF
}

# Prints the metrics port from the server log.
metrics_port() {
  sed -n 's/.*serving Prometheus metrics .* (metrics port \([0-9]*\)).*/\1/p' \
    "$SERVER_LOG"
}

# The endpoint is off by default.
start_tenantry_server "$server" "$work/off"
[[ -z "$(metrics_port)" ]] || fail "a server without --metrics_listen logged a metrics port"
sockets="$(listening_sockets "$SERVER_PID")"
[[ "$sockets" == 1 ]] ||
  fail "a server without --metrics_listen listens on $sockets TCP sockets, expected 1"
stop_tenantry_server
echo "ok: without --metrics_listen, one listening socket"

# Invalid values stop the start and name the flag.
run_server() {
  output="$("$server" --data_dir="$work/invalid" --listen=127.0.0.1:0 \
    --allow_unauthenticated "$@" 2>&1)" && code=0 || code=$?
}
for value in 127.0.0.1 127.0.0.1:99999 127.0.0.1:http '[::1' '::1:9464' \
  :9464; do
  run_server --metrics_listen="$value"
  [[ "$code" == 1 ]] || fail "--metrics_listen=$value: exit code $code, expected 1"
  grep -qF -- "--metrics_listen=$value is invalid because" <<<"$output" ||
    fail "--metrics_listen=$value: the message does not name the flag: $output"
done
for value in -1 1001; do
  run_server --metrics_listen=127.0.0.1:0 --metrics_top_tenants="$value"
  [[ "$code" == 1 ]] || fail "--metrics_top_tenants=$value: exit code $code"
  grep -qF -- "--metrics_top_tenants=$value must be between 0 and 1000" \
    <<<"$output" || fail "--metrics_top_tenants=$value: message: $output"
done
echo "ok: invalid --metrics_listen and --metrics_top_tenants values"

# A port in use: a listener in another process keeps it.
/usr/bin/python3 - "$work/busy-port" <<'EOF' &
import socket, sys, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write(str(listener.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
EOF
helper_pids+=($!)
for _ in $(seq 100); do
  [[ -s "$work/busy-port" ]] && break
  sleep 0.1
done
busy_port="$(cat "$work/busy-port")"
run_server --metrics_listen="127.0.0.1:$busy_port"
[[ "$code" == 1 ]] || fail "a busy metrics port: exit code $code, expected 1"
grep -qF -- "failed to listen on --metrics_listen=127.0.0.1:$busy_port" \
  <<<"$output" || fail "a busy metrics port: the message does not name the flag: $output"
echo "ok: a port in use stops the start: $(grep -o 'failed to listen.*' <<<"$output" | head -c 160)"

# The endpoint on a free port, with calls through gRPC.
start_tenantry_server "$server" "$work/on" --metrics_listen=127.0.0.1:0 \
  --shutdown_grace="${grace_seconds}s"
port="$(metrics_port)"
[[ -n "$port" ]] || fail "the server did not log its metrics port"
sockets="$(listening_sockets "$SERVER_PID")"
[[ "$sockets" == 2 ]] ||
  fail "a server with --metrics_listen listens on $sockets TCP sockets, expected 2"

# google/api/annotations.proto ships with Debian's grpc-gateway package.
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
mkdir "$work/stubs"
/usr/bin/python3 -m grpc_tools.protoc -Iproto -I"$googleapis" \
  --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  proto/tenantry/v1/*.proto "$googleapis"/google/api/*.proto
PYTHONPATH="$work/stubs" /usr/bin/python3 - "127.0.0.1:$SERVER_PORT" <<'EOF'
import sys
import grpc
from tenantry.v1 import profile_pb2, profile_pb2_grpc, tenant_pb2, tenant_pb2_grpc

channel = grpc.insecure_channel(sys.argv[1])
tenants = tenant_pb2_grpc.TenantServiceStub(channel)
profiles = profile_pb2_grpc.ProfileServiceStub(channel)
tenants.CreateTenant(tenant_pb2.CreateTenantRequest(
    tenant_id="shop", tenant=tenant_pb2.Tenant(display_name="Shop")), timeout=10)
for _ in range(3):
    profiles.ListProfiles(profile_pb2.ListProfilesRequest(parent="tenants/shop"),
                          metadata=[("x-tenant-id", "shop")], timeout=10)
for _ in range(2):
    try:
        tenants.GetTenant(tenant_pb2.GetTenantRequest(name="tenants/absent"),
                          timeout=10)
        sys.exit("GetTenant of a missing tenant succeeded")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error
EOF

# GET /metrics: status, content type, and the text, checked by a parser of
# the 0.0.4 format that is independent of the server's C++ code.
cat >"$work/check_metrics.py" <<'EOF'
"""Usage: check_metrics.py PORT

Fetches /metrics, checks it against the text format 0.0.4 and the calls
that this test made, and exits 1 with the reason on the first problem."""
import math
import re
import sys
import time
import urllib.request

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r"(%s)(?:\{((?:%s,?)*)\})? (\S+)(?: (-?\d+))?$" % (NAME, LABEL))
VALUE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|[+-]Inf$|NaN$")


def fail(message):
    sys.exit("FAIL: " + message)


def fetch(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        content_type = response.headers["Content-Type"]
        if not content_type.startswith("text/plain; version=0.0.4"):
            fail("content type " + content_type)
        return response.read().decode("utf-8")


def parse(text):
    if not text.endswith("\n"):
        fail("the text does not end with a line feed")
    types, helps, samples, done, current = {}, set(), {}, set(), None
    for number, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {number} ({line[:80]!r})"
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            name = line[7:].split(" ", 1)[0]
            if not re.fullmatch(NAME, name):
                fail(where + ": invalid name")
            if name != current:
                if name in done:
                    fail(where + ": family lines are not together")
                if current:
                    done.add(current)
                current = name
            if line.startswith("# HELP "):
                if name in helps:
                    fail(where + ": second HELP")
                helps.add(name)
                if re.search(r"\\[^\\n]", line[7 + len(name):]):
                    fail(where + ": bad escape in HELP")
            else:
                kind = line[7 + len(name) + 1:]
                if name in types or kind not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    fail(where + ": bad TYPE")
                types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        match = SAMPLE.match(line)
        if not match:
            fail(where + ": not a sample line")
        name, labels_text, value = match.group(1), match.group(2) or "", match.group(5)
        if not VALUE.match(value):
            fail(where + ": bad value")
        labels = tuple(sorted(
            (key, re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), raw))
            for key, raw in re.findall(LABEL, labels_text)))
        family = name
        if name not in types:
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and types.get(name[: -len(suffix)]) == "histogram":
                    family = name[: -len(suffix)]
        if family not in types or family not in helps:
            fail(where + ": no HELP and TYPE before the sample")
        if family != current:
            fail(where + ": family lines are not together")
        if (name, labels) in samples:
            fail(where + ": duplicate series")
        number_value = float(value.replace("Inf", "inf"))
        if types[family] == "counter" and not number_value >= 0:
            fail(where + ": negative counter")
        samples[(name, labels)] = number_value
    for family, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for (name, labels), value in samples.items():
            if name == family + "_bucket":
                le = dict(labels)["le"]
                rest = tuple(pair for pair in labels if pair[0] != "le")
                series.setdefault(rest, []).append((float(le.replace("Inf", "inf")), value))
        for rest, buckets in series.items():
            buckets.sort()
            counts = [count for _, count in buckets]
            if counts != sorted(counts):
                fail(f"{family} {rest}: buckets not cumulative")
            if not math.isinf(buckets[-1][0]):
                fail(f"{family} {rest}: no +Inf bucket")
            if samples.get((family + "_count", rest)) != counts[-1]:
                fail(f"{family} {rest}: _count differs from the +Inf bucket")
            if (family + "_sum", rest) not in samples:
                fail(f"{family} {rest}: no _sum")
    return samples


def labels(**pairs):
    return tuple(sorted(pairs.items()))


port = sys.argv[1]
expected = {
    ("tenantry_grpc_server_calls_total",
     labels(service="tenantry.v1.TenantService", method="CreateTenant", code="OK")): 1,
    ("tenantry_grpc_server_calls_total",
     labels(service="tenantry.v1.TenantService", method="GetTenant", code="NOT_FOUND")): 2,
    ("tenantry_grpc_server_errors_total",
     labels(service="tenantry.v1.TenantService", method="GetTenant")): 2,
    ("tenantry_grpc_server_calls_total",
     labels(service="tenantry.v1.ProfileService", method="ListProfiles", code="OK")): 3,
    ("tenantry_grpc_server_call_duration_seconds_count",
     labels(service="tenantry.v1.ProfileService", method="ListProfiles")): 3,
    ("tenantry_tenant_calls_last_hour", labels(tenant="shop")): 3,
    ("tenantry_tenant_errors_last_hour", labels(tenant="shop")): 0,
}
# The server counts a call after sending its status, so the last calls may
# need a moment to show.
for attempt in range(100):
    samples = parse(fetch(port))
    missing = {key: value for key, value in expected.items() if samples.get(key) != value}
    if not missing:
        break
    time.sleep(0.1)
else:
    fail("unexpected values: " + ", ".join(
        f"{name}{dict(key)} = {samples.get((name, key))}, expected {value}"
        for (name, key), value in missing.items()))
for name in ("tenantry_tenant_databases_open", "tenantry_group_commit_writes_count",
             "tenantry_shared_store_connections_open", "tenantry_process_open_fds",
             "tenantry_process_resident_memory_bytes", "tenantry_process_start_time_seconds"):
    if (name, ()) not in samples:
        fail(name + " is missing")
print(f"ok: /metrics parses ({len(samples)} samples) and counts the calls made")
EOF
/usr/bin/python3 "$work/check_metrics.py" "$port"

# Other paths get 404.
for path in / /metrics/ /other; do
  status="$(curl --silent --output /dev/null --write-out '%{http_code}' \
    "http://127.0.0.1:$port$path")"
  [[ "$status" == 404 ]] || fail "GET $path returned HTTP $status, expected 404"
done
echo "ok: other paths get 404"

# SIGTERM with a connection that never sends a request.
/usr/bin/python3 - "$port" "$work/connected" <<'EOF' &
import pathlib, socket, sys, time
connection = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
pathlib.Path(sys.argv[2]).touch()
time.sleep(60)
EOF
helper_pids+=($!)
for _ in $(seq 100); do
  [[ -e "$work/connected" ]] && break
  sleep 0.1
done
[[ -e "$work/connected" ]] || fail "the silent client did not connect"
# Lets the server accept the connection and hand it to a worker thread.
sleep 0.5
now_ms() { echo $(($(date +%s%N) / 1000000)); }
start="$(now_ms)"
code=0
stop_tenantry_server || code=$?
elapsed_ms=$(($(now_ms) - start))
[[ "$code" == 0 ]] || fail "SIGTERM ended the server with exit code $code, expected 0"
limit_ms=$(((grace_seconds + margin_seconds) * 1000))
((elapsed_ms <= limit_ms)) ||
  fail "the server took ${elapsed_ms} ms to stop, more than --shutdown_grace=${grace_seconds}s plus ${margin_seconds} s"
echo "ok: SIGTERM with an idle metrics connection stopped the server in ${elapsed_ms} ms"
