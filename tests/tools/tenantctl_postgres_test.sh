#!/usr/bin/env bash
# Checks that tenantctl's hints for a PostgreSQL shared store repeat
# --shared_db with the password shown as *** and never print the password.
# Usage: tenantctl_postgres_test.sh TENANTCTL
# The shared store is a new database on the server named by
# TENANTRY_TEST_POSTGRES_URL, which tools/test.sh starts.
set -uo pipefail

tenantctl="$1"
source tests/testing/server_fixture.sh
data="$(mktemp -d "${TEST_TMPDIR:-/tmp}/tenantctl-postgres-XXXXXX")"
trap 'rm -rf "$data"' EXIT
failures=0

shared_db="$(postgres_test_database "tenantctl_${RANDOM}${RANDOM}")" || exit 1
password="$(sed -E 's#^[^:]+://[^:/@]+:([^@]*)@.*#\1#' <<<"$shared_db")"
redacted="${shared_db/:$password@/:***@}"

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

expect_no_password() {
  if grep -qF -- "$password" <<<"$output"; then
    echo "FAIL: $1: output has the password"
    failures=$((failures + 1))
  fi
}

ctl() { run "$tenantctl" --data_dir="$data" --shared_db="$shared_db" "$@"; }

# The redacted URL has *, so the hint quotes it for the shell.
hint="tenantctl --data_dir=$data --shared_db='$redacted' migrate shared"

ctl status
expect_code 1 "status before migrating"
expect_output "BEHIND: run $hint" "status before migrating"
expect_no_password "status before migrating"

ctl init-dev-data
expect_code 1 "init-dev-data before migrating"
expect_output "Run: $hint" "init-dev-data before migrating"
expect_no_password "init-dev-data before migrating"

ctl migrate shared
expect_code 0 "migrate shared"

ctl status
expect_code 0 "status after migrating"
expect_output "0 tenants, 0 behind or unreadable" "status after migrating"

if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "all checks passed"
