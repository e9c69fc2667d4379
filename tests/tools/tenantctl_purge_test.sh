#!/usr/bin/env bash
# Drives `tenantctl purge` on a data directory with its shared store in
# SQLite or on PostgreSQL. It must purge the DELETED tenants whose purge
# time has passed, with their files and API keys, and leave the others.
# It purges early only with --ignore_purge_time and never purges a tenant
# that is not DELETED. It deletes old request ids and reports a file that
# it cannot remove. Last, a running server soft-deletes a tenant and
# tenantctl purges it.
#
# Usage: tenantctl_purge_test.sh SERVER TENANTCTL sqlite|postgresql
# For postgresql, the shared store is a new database on the server named
# by TENANTRY_TEST_POSTGRES_URL, which tools/test.sh starts.
set -uo pipefail

server="$1"
tenantctl="$2"
backend="$3"
source tests/testing/server_fixture.sh
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/tenantctl-purge-XXXXXX")"
data="$work/data"
mkdir -p "$data"
# Unique across runs: the sandbox often gives this script the same PID.
database="tenantctl_purge_$(date +%s%N)_$$"
cleanup() {
  stop_tenantry_server || true
  if [[ "$backend" == postgresql ]]; then
    psql --quiet "$TENANTRY_TEST_POSTGRES_URL" \
      --command="DROP DATABASE IF EXISTS $database" || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
failures=0

if [[ "$backend" == postgresql ]]; then
  shared_db="$(postgres_test_database "$database")" || exit 1
  sql() { psql --quiet --tuples-only --no-align "$shared_db" --command="$1"; }
else
  shared_db="sqlite:$data/shared.db"
  sql() { sqlite3 "$data/shared.db" "$1"; }
fi

# Runs a command, storing its output in $output and exit code in $code.
run() {
  output="$("$@" 2>&1)"
  code=$?
}

expect_code() {
  if [[ "$code" != "$1" ]]; then
    echo "FAIL: $2: exit code $code, expected $1; output:"
    echo "$output"
    failures=$((failures + 1))
  fi
}

expect_output() {
  if ! grep -qF -- "$1" <<<"$output"; then
    echo "FAIL: $2: output lacks \"$1\"; output:"
    echo "$output"
    failures=$((failures + 1))
  fi
}

expect_no_output() {
  if grep -qF -- "$1" <<<"$output"; then
    echo "FAIL: $2: output has \"$1\"; output:"
    echo "$output"
    failures=$((failures + 1))
  fi
}

expect_file() {
  if [[ ! -e "$1" ]]; then
    echo "FAIL: $2: $1 is missing"
    failures=$((failures + 1))
  fi
}

expect_no_file() {
  if [[ -e "$1" ]]; then
    echo "FAIL: $2: $1 exists"
    failures=$((failures + 1))
  fi
}

expect_sql() {
  local actual
  actual="$(sql "$1")"
  if [[ "$actual" != "$2" ]]; then
    echo "FAIL: $3: $1 returned \"$actual\", expected \"$2\""
    failures=$((failures + 1))
  fi
}

ctl() { run "$tenantctl" --data_dir="$data" --shared_db="$shared_db" "$@"; }

micros() { echo $(($(date +%s) * 1000000 + $1 * 3600 * 1000000)); }

# Soft-deletes TENANT as DeleteTenant does, with its purge time HOURS from
# now (negative: in the past).
mark_deleted() {
  sql "UPDATE tenants SET delete_time = $(micros $(($2 - 1))),
       purge_time = $(micros "$2") WHERE id = '$1'" >/dev/null
}

ctl migrate shared
expect_code 0 "migrate shared"
ctl init-dev-data
expect_code 0 "init-dev-data"

ctl purge
expect_code 0 "purge with nothing deleted"
expect_output "0 tenants purged, 0 failed; 0 request ids older than 168h deleted" \
  "purge with nothing deleted"

# dev_tenant is due, demo_school is deleted but not due yet.
mark_deleted dev_tenant -1
mark_deleted demo_school 1
sql "INSERT INTO api_keys (id, tenant_id, display_name, secret_sha256,
     create_time) VALUES ('key1', 'dev_tenant', 'ci', 'ab', 1)" >/dev/null
sql "INSERT INTO request_ids (method, request_id, request_sha256,
     resource_id, create_time) VALUES
     ('CreateUser', 'old', 'ab', 'u1', $(micros -200)),
     ('CreateUser', 'new', 'ab', 'u2', $(micros 0))" >/dev/null

ctl purge
expect_code 0 "purge"
expect_output "tenant dev_tenant: purged (deleted " "purge"
expect_no_output "demo_school" "purge leaves a tenant that is not due"
expect_output "1 tenants purged, 0 failed; 1 request ids older than 168h deleted" \
  "purge"
expect_no_file "$data/tenants/dev_tenant.db" "purge"
expect_file "$data/tenants/demo_school.db" "purge leaves a tenant that is not due"
expect_sql "SELECT id FROM tenants ORDER BY id" "demo_school" "purge"
expect_sql "SELECT COUNT(*) FROM api_keys" "0" "purge removes the API keys"
expect_sql "SELECT request_id FROM request_ids" "new" \
  "purge keeps newer request ids"

ctl purge --tenant=demo_school
expect_code 1 "purge of a tenant that is not due"
expect_output "tenant demo_school: FAILED: tenant \"demo_school\" is not due for purge until" \
  "purge of a tenant that is not due"
expect_output "purge --tenant=demo_school --ignore_purge_time" \
  "the hint names the flag"
expect_file "$data/tenants/demo_school.db" "purge of a tenant that is not due"

ctl purge --tenant=demo_school --ignore_purge_time
expect_code 0 "early purge of one tenant"
expect_output "tenant demo_school: purged" "early purge of one tenant"
expect_output "1 tenant purged" "early purge of one tenant"
expect_no_file "$data/tenants/demo_school.db" "early purge of one tenant"
expect_sql "SELECT COUNT(*) FROM tenants" "0" "early purge of one tenant"

# Active tenants are never purged, with or without --ignore_purge_time.
ctl init-dev-data
expect_code 0 "second init-dev-data"
ctl purge --tenant=dev_tenant --ignore_purge_time
expect_code 1 "purge of an active tenant"
expect_output "tenant \"dev_tenant\" is not deleted" "purge of an active tenant"
expect_file "$data/tenants/dev_tenant.db" "purge of an active tenant"
mark_deleted demo_school 100
ctl purge --ignore_purge_time
expect_code 0 "early purge of all deleted tenants"
expect_output "tenant demo_school: purged" "early purge of all deleted tenants"
expect_no_output "dev_tenant" "early purge of all deleted tenants"
expect_output "1 tenants purged, 0 failed" "early purge of all deleted tenants"
expect_file "$data/tenants/dev_tenant.db" "early purge of all deleted tenants"
expect_sql "SELECT id FROM tenants ORDER BY id" "dev_tenant" \
  "early purge of all deleted tenants"

ctl purge --tenant=ghost
expect_code 1 "purge of an unknown tenant"
expect_output "tenant \"ghost\" not found" "purge of an unknown tenant"

ctl purge --tenant=../shared
expect_code 1 "purge of a malformed id"
expect_output "lowercase letter" "purge of a malformed id"

ctl purge --tenant_retention=0s
expect_code 1 "purge with a zero retention"
expect_output "--tenant_retention=0 must be positive" \
  "purge with a zero retention"

# A file that cannot be removed fails that tenant, which stays DELETED so
# that the next purge tries again.
mark_deleted dev_tenant -1
rm -f "$data/tenants/dev_tenant.db-wal"
mkdir -p "$data/tenants/dev_tenant.db-wal/blocker"
ctl purge
expect_code 1 "purge with a blocked file"
expect_output "tenant dev_tenant: FAILED: failed to delete the database files of tenant \"dev_tenant\"" \
  "purge with a blocked file"
expect_output "dev_tenant.db-wal" "the error names the file"
expect_output "0 tenants purged, 1 failed" "purge with a blocked file"
expect_sql "SELECT id FROM tenants WHERE delete_time IS NOT NULL" "dev_tenant" \
  "a failed purge keeps the row"
rm -rf "$data/tenants/dev_tenant.db-wal"
ctl purge
expect_code 0 "purge after the cause is fixed"
expect_output "tenant dev_tenant: purged" "purge after the cause is fixed"
expect_sql "SELECT COUNT(*) FROM tenants" "0" "purge after the cause is fixed"

# A tenant that a running server soft-deleted, purged while it runs.
ctl init-dev-data
expect_code 0 "third init-dev-data"
start_tenantry_server "$server" "$data" --shared_db="$shared_db" \
  --purge_interval=0 || exit 1
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
mkdir "$work/stubs"
/usr/bin/python3 -m grpc_tools.protoc -Iproto -I"$googleapis" \
  --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  proto/tenantry/v1/*.proto "$googleapis"/google/api/*.proto
cat >"$work/client.py" <<'EOF'
"""delete|get ADDRESS TENANT_ID: prints the tenant's state, or the status
code name of a failed call."""
import sys

import grpc
from tenantry.v1 import tenant_pb2, tenant_pb2_grpc

command, address, tenant_id = sys.argv[1:4]
stub = tenant_pb2_grpc.TenantServiceStub(grpc.insecure_channel(address))
name = "tenants/" + tenant_id
try:
    if command == "delete":
        tenant = stub.DeleteTenant(tenant_pb2.DeleteTenantRequest(name=name),
                                   timeout=10)
    else:
        tenant = stub.GetTenant(tenant_pb2.GetTenantRequest(name=name),
                                timeout=10)
    print(tenant_pb2.Tenant.State.Name(tenant.state))
except grpc.RpcError as error:
    print(error.code().name)
EOF
export PYTHONPATH="$work/stubs"
address="127.0.0.1:$SERVER_PORT"
run /usr/bin/python3 "$work/client.py" delete "$address" demo_school
expect_output "DELETED" "DeleteTenant through the server"
ctl purge
expect_code 0 "purge of a tenant deleted just now"
expect_output "0 tenants purged" "purge of a tenant deleted just now"
ctl purge --tenant=demo_school --ignore_purge_time
expect_code 0 "early purge next to a running server"
expect_no_file "$data/tenants/demo_school.db" \
  "early purge next to a running server"
run /usr/bin/python3 "$work/client.py" get "$address" demo_school
expect_output "NOT_FOUND" "GetTenant after the purge"
run /usr/bin/python3 "$work/client.py" get "$address" dev_tenant
expect_output "ACTIVE" "GetTenant of the other tenant"
if ! stop_tenantry_server; then
  echo "FAIL: the server did not stop cleanly; its log:"
  cat "$SERVER_LOG"
  failures=$((failures + 1))
fi

if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "all checks passed"
