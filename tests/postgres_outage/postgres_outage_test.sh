#!/usr/bin/env bash
# Generates the Python stubs from proto/ and runs postgres_outage_test.py
# with Debian's /usr/bin/python3. The test's PostgreSQL cluster lives in a
# new directory under $TMPDIR (or /tmp), because the postgres user cannot
# enter $TEST_TMPDIR, which is under root's home directory. On exit this
# script stops the server and the cluster if the Python test left them
# running, for example after a crash, and removes the directory.
#
# Usage: postgres_outage_test.sh SERVER
set -euo pipefail

server="$1"
work="$(mktemp -d "${TMPDIR:-/tmp}/postgres-outage-XXXXXX")"
# The postgres user enters $work to reach its cluster directory in it.
chmod 711 "$work"
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
cleanup() {
  local pid_file
  for pid_file in "$work"/*.pid; do
    if [[ -f "$pid_file" ]]; then
      kill -KILL "$(cat "$pid_file")" 2>/dev/null || true
    fi
  done
  if [[ -f "$work/postgres/data/postmaster.pid" ]]; then
    as_postgres /usr/lib/postgresql/15/bin/pg_ctl \
      --pgdata="$work/postgres/data" --mode=immediate --wait stop \
      >/dev/null 2>&1 || true
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

# The timeout ends a hung test before Bazel's 60-second timeout of small
# tests kills this script, so that the trap still stops the server and the
# cluster. -u keeps the printed outcomes in order with unittest's output.
PYTHONPATH="$work/stubs" TENANTRY_SERVER="$server" TENANTRY_WORK_DIR="$work" \
  timeout 50 /usr/bin/python3 -u tests/postgres_outage/postgres_outage_test.py -v
