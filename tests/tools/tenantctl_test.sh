#!/usr/bin/env bash
# Drives the tenantctl binary on a fresh data directory: migrations,
# status, idempotent sample data, and a tampered migration checksum.
set -uo pipefail

tenantctl="$1"
data="$(mktemp -d "${TEST_TMPDIR:-/tmp}/tenantctl-XXXXXX")"
failures=0

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
  if ! grep -q -- "$1" <<<"$output"; then
    echo "FAIL: $2: output lacks \"$1\"; output:"
    echo "$output"
    failures=$((failures + 1))
  fi
}

expect_no_output() {
  if grep -q -- "$1" <<<"$output"; then
    echo "FAIL: $2: output has \"$1\"; output:"
    echo "$output"
    failures=$((failures + 1))
  fi
}

ctl() { run "$tenantctl" --data_dir="$data" "$@"; }

ctl status
expect_code 1 "status before migrating"
expect_output "BEHIND: run tenantctl migrate shared" "status before migrating"

ctl init-dev-data
expect_code 1 "init-dev-data before migrating"
expect_output "tenantctl migrate shared" "init-dev-data before migrating"

ctl migrate shared
expect_code 0 "migrate shared"
expect_output "version 0 -> 1" "migrate shared"

ctl init-dev-data
expect_code 0 "first init-dev-data"
expect_output "created tenant dev_tenant" "first init-dev-data"
expect_output "created tenant demo_school" "first init-dev-data"
expect_output "created document" "first init-dev-data"

ctl init-dev-data
expect_code 0 "second init-dev-data"
expect_no_output "created" "second init-dev-data writes nothing"

ctl migrate tenants
expect_code 0 "migrate tenants"
expect_output "2 of 2 tenants migrated" "migrate tenants"

ctl status
expect_code 0 "status after migrating"
expect_output "2 tenants, 0 behind or unreadable" "status after migrating"

ctl migrate tenants --tenant=dev_tenant
expect_code 0 "migrate one tenant"
expect_output "tenant dev_tenant: version" "migrate one tenant"
expect_no_output "demo_school" "migrate one tenant"

ctl migrate tenants --tenant=ghost
expect_code 1 "migrate an unknown tenant"
expect_output 'tenant "ghost" not found' "migrate an unknown tenant"

ctl frobnicate
expect_code 1 "unknown command"
expect_output 'unknown command "frobnicate"' "unknown command"

# An applied migration whose file changed stops that tenant only.
sqlite3 "$data/tenants/demo_school.db" \
  "UPDATE schema_migrations SET checksum = '0000000000000000' WHERE version = 1"
ctl migrate tenants
expect_code 1 "migrate with a changed checksum"
expect_output "tenant demo_school: version 2 -> 2 FAILED" \
  "migrate with a changed checksum"
expect_output "0001_create_profiles_posts_documents.up.sql changed" \
  "the error names the file"
expect_output "tenant dev_tenant: version 2 -> 2 ok" \
  "other tenants still migrate"
expect_output "1 of 2 tenants migrated" "migrate with a changed checksum"

rm -rf "$data"
if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "all checks passed"
