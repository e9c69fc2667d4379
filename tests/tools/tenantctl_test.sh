#!/usr/bin/env bash
# Drives the tenantctl binary on a fresh data directory: migrations,
# status, idempotent sample data, tenant id checks, the hints in messages,
# and a tampered migration checksum.
set -uo pipefail

tenantctl="$1"
# The latest version of each migration track, counted from its files.
migrations="${TEST_SRCDIR:?}/tenantry/migrations"
shared_latest="$(find "$migrations/shared" -name '*.up.sql' | wc -l)"
tenant_latest="$(find "$migrations/tenant" -name '*.up.sql' | wc -l)"
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

expect_no_file() {
  if [[ -e "$1" ]]; then
    echo "FAIL: $2: $1 exists"
    failures=$((failures + 1))
  fi
}

ctl() { run "$tenantctl" --data_dir="$data" "$@"; }

# Commands that only read the stores create no file, so a mistyped
# --data_dir or --shared_db fails instead of starting an empty store.
ctl status
expect_code 1 "status without a shared store"
expect_output "the shared store $data/shared.db does not exist" \
  "status without a shared store"
expect_output "create it with: tenantctl --data_dir=$data migrate shared" \
  "status without a shared store"
expect_no_file "$data/shared.db" "status without a shared store"

for command in status "migrate tenants"; do
  # $command is two words for `migrate tenants`.
  # shellcheck disable=SC2086
  run "$tenantctl" --data_dir="$data/mistyped" $command
  expect_code 1 "$command with a mistyped --data_dir"
  expect_output "the shared store $data/mistyped/shared.db does not exist" \
    "$command with a mistyped --data_dir"
  expect_no_file "$data/mistyped" "$command with a mistyped --data_dir"
done

ctl --shared_db="sqlite:$data/mistyped.db" status
expect_code 1 "status with a mistyped --shared_db"
expect_output "the shared store $data/mistyped.db does not exist" \
  "status with a mistyped --shared_db"
expect_output \
  "tenantctl --data_dir=$data --shared_db=sqlite:$data/mistyped.db migrate shared" \
  "status with a mistyped --shared_db"
expect_no_file "$data/mistyped.db" "status with a mistyped --shared_db"

# A hint quotes a value that the shell would split.
run "$tenantctl" --data_dir="$data/with space" status
expect_code 1 "status with a space in --data_dir"
expect_output "tenantctl --data_dir='$data/with space' migrate shared" \
  "status with a space in --data_dir"

# Commands that write create the shared store.
ctl init-dev-data
expect_code 1 "init-dev-data before migrating"
expect_output "Run: tenantctl --data_dir=$data migrate shared" \
  "init-dev-data before migrating"
expect_no_output "FAILED_PRECONDITION" "init-dev-data before migrating"
if [[ ! -f "$data/shared.db" ]]; then
  echo "FAIL: init-dev-data did not create $data/shared.db"
  failures=$((failures + 1))
fi

ctl status
expect_code 1 "status before migrating"
expect_output "BEHIND: run tenantctl --data_dir=$data migrate shared" \
  "status before migrating"

# With every flag at its default, the hint has no flags.
mkdir "$data/cwd"
tenantctl_path="$(realpath "$tenantctl")"
run bash -c 'cd "$1" && "$2" status' - "$data/cwd" "$tenantctl_path"
expect_code 1 "status with the default --data_dir"
expect_output "create it with: tenantctl migrate shared" \
  "status with the default --data_dir"
expect_no_file "$data/cwd/data" "status with the default --data_dir"

ctl migrate shared
expect_code 0 "migrate shared"
expect_output "version 0 -> $shared_latest" "migrate shared"

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

ctl migrate tenants --tenant=../../etc/passwd
expect_code 1 "migrate an invalid tenant id"
expect_output 'invalid tenant id "../../etc/passwd"' \
  "migrate an invalid tenant id"
expect_no_output "not found" "migrate an invalid tenant id"

ctl status --tenant=dev_tenant
expect_code 0 "status of one tenant"
expect_output "tenant dev_tenant: version" "status of one tenant"
expect_no_output "demo_school" "status of one tenant"
expect_output "1 tenants, 0 behind or unreadable" "status of one tenant"

ctl status --tenant=ghost
expect_code 1 "status of an unknown tenant"
expect_output 'tenant "ghost" not found' "status of an unknown tenant"
expect_no_output "NOT_FOUND" "status of an unknown tenant"

ctl status --tenant=../../etc/passwd
expect_code 1 "status of an invalid tenant id"
expect_output 'invalid tenant id "../../etc/passwd"' \
  "status of an invalid tenant id"

mkdir "$data/no_migrations"
for command in status "migrate tenants"; do
  # shellcheck disable=SC2086
  ctl --tenant_migrations_dir="$data/no_migrations" $command
  expect_code 1 "$command with an empty --tenant_migrations_dir"
  expect_output \
    "$data/no_migrations has no migration files named NNNN_description.up.sql" \
    "$command with an empty --tenant_migrations_dir"
  expect_no_output "newer binary" \
    "$command with an empty --tenant_migrations_dir"
done

ctl frobnicate
expect_code 1 "unknown command"
expect_output 'unknown command "frobnicate"' "unknown command"

# An applied migration whose file changed stops that tenant only.
sqlite3 "$data/tenants/demo_school.db" \
  "UPDATE schema_migrations SET checksum = '0000000000000000' WHERE version = 1"
ctl migrate tenants
expect_code 1 "migrate with a changed checksum"
expect_output "tenant demo_school: version $tenant_latest -> $tenant_latest FAILED" \
  "migrate with a changed checksum"
expect_output "0001_create_profiles_posts_documents.up.sql changed" \
  "the error names the file"
expect_output "tenant dev_tenant: version $tenant_latest -> $tenant_latest ok" \
  "other tenants still migrate"
expect_output "1 of 2 tenants migrated" "migrate with a changed checksum"

# A shared store at a version this binary does not know fails every
# command, with the message and without the status code.
sqlite3 "$data/shared.db" "INSERT INTO schema_migrations
  (version, name, checksum, applied_time) VALUES (99, '0099_future.up.sql', '', 0)"
for command in status "migrate shared" "migrate tenants" init-dev-data; do
  # shellcheck disable=SC2086
  ctl $command
  expect_code 1 "$command on a newer shared store"
  expect_output "0099_future.up.sql" "$command on a newer shared store"
  expect_no_output "FAILED_PRECONDITION" "$command on a newer shared store"
done

rm -rf "$data"
if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "all checks passed"
