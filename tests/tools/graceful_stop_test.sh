#!/usr/bin/env bash
# SIGTERM stops tenantry_server with exit code 0 within --shutdown_grace
# plus a margin, even while calls wait for a tenant database that another
# process keeps locked, and the cancelled calls write nothing.
#
# Three CreateDocument calls without a deadline wait for the lock. Left to
# SQLite's 5-second busy timeout, the calls would hold the tenant's
# connection for 5 seconds each in turn, so a server that ignores the
# cancellation at the end of the grace period takes more than 10 seconds
# to stop.
#
# Usage: graceful_stop_test.sh SERVER
set -euo pipefail

server="$1"
grace_seconds=1
margin_seconds=4
calls=3

source tests/testing/server_fixture.sh
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/graceful-stop-XXXXXX")"
locker_pid=""
client_pids=()
cleanup() {
  local code=$?
  stop_tenantry_server || true
  local pid
  for pid in "${client_pids[@]}" $locker_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
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

cat >"$work/client.py" <<'EOF'
"""create-tenant ADDRESS ID | create-document ADDRESS ID TITLE STATUS_FILE

create-document writes the call's status code name to STATUS_FILE."""
import sys

import grpc
from tenantry.v1 import document_pb2, document_pb2_grpc, tenant_pb2, tenant_pb2_grpc

command, address, tenant_id = sys.argv[1:4]
channel = grpc.insecure_channel(address)
if command == "create-tenant":
    tenant_pb2_grpc.TenantServiceStub(channel).CreateTenant(
        tenant_pb2.CreateTenantRequest(
            tenant_id=tenant_id, tenant=tenant_pb2.Tenant(display_name="Stop")),
        timeout=10)
else:
    title, status_file = sys.argv[4:6]
    code = "OK"
    try:
        # No deadline: only the server's stop ends this call.
        document_pb2_grpc.DocumentServiceStub(channel).CreateDocument(
            document_pb2.CreateDocumentRequest(
                parent="tenants/" + tenant_id,
                document=document_pb2.Document(title=title, content=b"x")),
            metadata=[("x-tenant-id", tenant_id)])
    except grpc.RpcError as error:
        code = error.code().name
    with open(status_file, "w") as out:
        out.write(code)
EOF

cat >"$work/locker.py" <<'EOF'
"""DATABASE READY_FILE: takes SQLite's write lock on DATABASE, creates
READY_FILE, and keeps the lock for 60 seconds or until killed."""
import pathlib
import sqlite3
import sys
import time

connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
pathlib.Path(sys.argv[2]).touch()
time.sleep(60)
EOF

# Waits up to 10 seconds for FILE to exist.
wait_for_file() {
  for _ in $(seq 100); do
    [[ -e "$1" ]] && return 0
    sleep 0.1
  done
  echo "FAIL: $1 did not appear within 10 seconds"
  return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

start_tenantry_server "$server" "$work/data" --shutdown_grace="${grace_seconds}s"
address="127.0.0.1:$SERVER_PORT"
export PYTHONPATH="$work/stubs"
/usr/bin/python3 "$work/client.py" create-tenant "$address" stop

database="$work/data/tenants/stop.db"
/usr/bin/python3 "$work/locker.py" "$database" "$work/locked" &
locker_pid=$!
wait_for_file "$work/locked"

for i in $(seq "$calls"); do
  /usr/bin/python3 "$work/client.py" create-document "$address" stop \
    "document $i" "$work/status-$i" &
  client_pids+=($!)
done
# Nothing signals that a call has reached the server, so give the clients
# time to start Python, connect and send.
sleep 2

start="$(now_ms)"
code=0
stop_tenantry_server || code=$?
elapsed_ms=$(($(now_ms) - start))
if [[ "$code" != 0 ]]; then
  echo "FAIL: SIGTERM ended the server with exit code $code, expected 0"
  exit 1
fi
limit_ms=$(((grace_seconds + margin_seconds) * 1000))
if ((elapsed_ms > limit_ms)); then
  echo "FAIL: the server took ${elapsed_ms} ms to stop after SIGTERM, more" \
    "than --shutdown_grace=${grace_seconds}s plus ${margin_seconds} s"
  exit 1
fi

for pid in "${client_pids[@]}"; do wait "$pid"; done
client_pids=()
statuses=()
for i in $(seq "$calls"); do
  status="$(cat "$work/status-$i")"
  statuses+=("$status")
  # When the grace period ends, gRPC cancels the calls still running and
  # closes their connections, so a client sees CANCELLED or UNAVAILABLE.
  if [[ "$status" != CANCELLED && "$status" != UNAVAILABLE ]]; then
    echo "FAIL: call $i waiting for the lock ended with $status, expected" \
      "CANCELLED or UNAVAILABLE"
    exit 1
  fi
done

kill "$locker_pid"
wait "$locker_pid" 2>/dev/null || true
locker_pid=""
documents="$(/usr/bin/python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM documents").fetchone()[0])
' "$database")"
if [[ "$documents" != 0 ]]; then
  echo "FAIL: the cancelled calls wrote $documents documents, expected 0"
  exit 1
fi
echo "SIGTERM stopped the server in ${elapsed_ms} ms with exit code 0;" \
  "the calls ended with ${statuses[*]}"
