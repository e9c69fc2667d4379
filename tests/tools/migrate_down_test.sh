#!/usr/bin/env bash
# Drives `tenantctl migration new` and `tenantctl migrate down`.
# `migration new` must write the next numbered pair of files. `migrate down`
# must revert the shared store on SQLite and on PostgreSQL, one tenant and
# all tenants, and stop before any change when a down file is missing.
# Each revert is followed by migrating up again.
# Usage: migrate_down_test.sh TENANTCTL
# The PostgreSQL shared store is a new database on the server named by
# TENANTRY_TEST_POSTGRES_URL, which tools/test.sh starts.
set -uo pipefail

tenantctl="$1"
source tests/testing/server_fixture.sh
migrations="${TEST_SRCDIR:?}/tenantry/migrations"
shared_latest="$(find "$migrations/shared" -name '*.up.sql' | wc -l)"
tenant_latest="$(find "$migrations/tenant" -name '*.up.sql' | wc -l)"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/migrate-down-XXXXXX")"
data="$work/data"
# $$ is the same in every sandbox, so a random part keeps runs apart.
postgres_database="migrate_down_$$_${RANDOM}${RANDOM}"
cleanup() {
  rm -rf "$work"
  if [[ -n "${TENANTRY_TEST_POSTGRES_URL:-}" ]]; then
    psql --quiet "$TENANTRY_TEST_POSTGRES_URL" \
      --command="DROP DATABASE IF EXISTS $postgres_database" >/dev/null 2>&1
  fi
}
trap cleanup EXIT
failures=0

run() {
  output="$("$@" 2>&1)"
  code=$?
}

fail() {
  echo "FAIL: $1; output:"
  echo "$output"
  failures=$((failures + 1))
}

expect_code() {
  [[ "$code" == "$1" ]] || fail "$2: exit code $code, expected $1"
}

expect_output() {
  grep -qF -- "$1" <<<"$output" || fail "$2: output lacks \"$1\""
}

expect_equal() {
  [[ "$1" == "$2" ]] || fail "$3: \"$1\" is not \"$2\""
}

ctl() { run "$tenantctl" --data_dir="$data" "$@"; }

# Prints the result of one SQL query on a SQLite file, one row per line.
sqlite_query() {
  /usr/bin/python3 - "$1" "$2" <<'EOF'
import sqlite3
import sys
connection = sqlite3.connect(sys.argv[1])
for row in connection.execute(sys.argv[2]):
    print("|".join(str(value) for value in row))
EOF
}

tenant_db() { echo "$data/tenants/$1.db"; }

# --- migration new ------------------------------------------------------

tree="$work/tree/migrations"
mkdir -p "$tree"
cp -r "$migrations/shared" "$migrations/tenant" "$tree/"
chmod -R u+w "$tree"
next_tenant="$(printf '%04d' $((tenant_latest + 1)))"
run "$tenantctl" migration new --track tenant --migrations_dir="$tree" \
  add_profile_notes
expect_code 0 "migration new"
expect_output "$tree/tenant/${next_tenant}_add_profile_notes.up.sql" \
  "migration new"
expect_output "$tree/tenant/${next_tenant}_add_profile_notes.down.sql" \
  "migration new"
for kind in up down; do
  file="$tree/tenant/${next_tenant}_add_profile_notes.$kind.sql"
  [[ -f "$file" ]] || fail "migration new: $file is missing"
done
grep -q "never edit it" "$tree/tenant/${next_tenant}_add_profile_notes.up.sql" ||
  fail "migration new: the up file lacks the rule on applied files"
grep -q "undoes ${next_tenant}_add_profile_notes.up.sql" \
  "$tree/tenant/${next_tenant}_add_profile_notes.down.sql" ||
  fail "migration new: the down file does not name its up file"

run "$tenantctl" migration new --track=tenant --migrations_dir="$tree" second
expect_code 0 "second migration new"
expect_output "$(printf '%04d' $((tenant_latest + 2)))_second.up.sql" \
  "second migration new takes the next number"

run "$tenantctl" migration new --track=shared --migrations_dir="$tree" \
  add_tenant_notes
expect_code 0 "migration new on the shared track"
expect_output "$(printf '%04d' $((shared_latest + 1)))_add_tenant_notes.up.sql" \
  "migration new on the shared track"
grep -q "SQLite and on PostgreSQL" \
  "$tree/shared/$(printf '%04d' $((shared_latest + 1)))_add_tenant_notes.up.sql" ||
  fail "migration new: the shared up file lacks the dialect rule"

before="$(ls "$tree/tenant" "$tree/shared")"
for bad in Add-Notes "" "notes.sql" "a b"; do
  run "$tenantctl" migration new --track=tenant --migrations_dir="$tree" "$bad"
  expect_code 1 "migration new with name \"$bad\""
done
run "$tenantctl" migration new --track=tenant --migrations_dir="$tree" second
expect_code 1 "migration new with a taken name"
expect_output "already has the name \"second\"" \
  "migration new with a taken name"
run "$tenantctl" migration new --track=other --migrations_dir="$tree" notes
expect_code 1 "migration new with --track=other"
expect_output "must be tenant or shared" "migration new with --track=other"
run "$tenantctl" migration new --track=tenant --migrations_dir="$work/none" notes
expect_code 1 "migration new without a migrations directory"
expect_output "--migrations_dir" "migration new without a migrations directory"
expect_equal "$(ls "$tree/tenant" "$tree/shared")" "$before" \
  "rejected migration new commands write nothing"

# --- the shared store on SQLite -----------------------------------------

ctl migrate shared
expect_code 0 "migrate shared"
ctl init-dev-data
expect_code 0 "init-dev-data"
profiles_before="$(sqlite_query "$(tenant_db dev_tenant)" \
  "SELECT count(*) FROM profiles")"

ctl migrate down --track=shared --to=2
expect_code 0 "migrate down shared on SQLite"
expect_output "shared store: reverted 0003_add_tenant_deletion_and_quotas.up.sql with 0003_add_tenant_deletion_and_quotas.down.sql" \
  "migrate down shared on SQLite prints each step"
expect_output "shared store: version $shared_latest -> 2" \
  "migrate down shared on SQLite"
expect_equal "$(sqlite_query "$data/shared.db" \
  "SELECT max(version) FROM schema_migrations")" 2 \
  "shared history after migrate down"
expect_equal "$(sqlite_query "$data/shared.db" \
  "SELECT count(*) FROM pragma_table_info('tenants') WHERE name = 'purge_time'")" 0 \
  "purge_time is dropped by migrate down"
expect_equal "$(sqlite_query "$data/shared.db" \
  "SELECT count(*) FROM tenants")" 2 "tenants survive migrate down"
ctl status
expect_code 1 "status after migrate down shared"
expect_output "shared store: version 2 of $shared_latest" \
  "status after migrate down shared"

ctl migrate shared
expect_code 0 "migrate shared after migrate down"
expect_output "shared store: version 2 -> $shared_latest" \
  "migrate shared after migrate down"
ctl status
expect_code 0 "status after the shared round trip"

# --- one tenant ------------------------------------------------------------

ctl migrate down --track=tenant --tenant=dev_tenant --to=2
expect_code 0 "migrate down one tenant"
expect_output "tenant dev_tenant: reverted" "migrate down one tenant"
expect_output "tenant dev_tenant: version $tenant_latest -> 2 ok" \
  "migrate down one tenant"
expect_output "1 of 1 tenants migrated down" "migrate down one tenant"
expect_equal "$(sqlite_query "$(tenant_db dev_tenant)" "PRAGMA user_version")" 2 \
  "user_version follows migrate down"
expect_equal "$(sqlite_query "$(tenant_db demo_school)" \
  "SELECT max(version) FROM schema_migrations")" "$tenant_latest" \
  "other tenants keep their version"
ctl status
expect_output "tenant dev_tenant: version 2 of $tenant_latest" \
  "status after migrate down one tenant"
expect_output "tenant demo_school: version $tenant_latest of $tenant_latest" \
  "status after migrate down one tenant"

# --- a missing down file stops everything ---------------------------------

missing="$work/missing"
mkdir -p "$missing"
cp "$migrations/tenant/"*.sql "$missing/"
chmod u+w "$missing"/*
rm "$missing"/0002_*.down.sql
ctl status
versions_before="$output"
ctl --tenant_migrations_dir="$missing" migrate down --track=tenant --to=1
expect_code 1 "migrate down with a missing down file"
expect_output "0002_add_profile_slug_and_birth_date.down.sql is missing" \
  "migrate down with a missing down file"
expect_output "no tenant was changed" "migrate down with a missing down file"
ctl status
expect_equal "$output" "$versions_before" \
  "a missing down file changes no version"

# --- all tenants -------------------------------------------------------------

ctl migrate down --track=tenant --to=1
expect_code 0 "migrate down all tenants"
expect_output "tenant demo_school: version $tenant_latest -> 1 ok (reverted" \
  "migrate down all tenants"
expect_output "tenant dev_tenant: version 2 -> 1 ok (reverted 0002_add_profile_slug_and_birth_date.down.sql)" \
  "migrate down all tenants"
expect_output "2 of 2 tenants migrated down" "migrate down all tenants"
expect_equal "$(sqlite_query "$(tenant_db demo_school)" \
  "SELECT count(*) FROM pragma_table_info('profiles') WHERE name = 'slug'")" 0 \
  "slug is dropped by migrate down"

# --- up again ----------------------------------------------------------------

ctl migrate tenants
expect_code 0 "migrate tenants after migrate down"
expect_output "tenant dev_tenant: version 1 -> $tenant_latest ok" \
  "migrate tenants after migrate down"
ctl status
expect_code 0 "status after the tenant round trip"
expect_equal "$(sqlite_query "$(tenant_db dev_tenant)" \
  "SELECT count(*) FROM profiles")" "$profiles_before" \
  "profiles survive the round trip"

ctl migrate down --track=tenant --to=-1
expect_code 1 "migrate down without --to"
ctl migrate down --to=1
expect_code 1 "migrate down without --track"
ctl migrate down --track=shared --tenant=dev_tenant --to=1
expect_code 1 "migrate down --track=shared with --tenant"
ctl migrate down --track=tenant --tenant=nobody --to=1
expect_code 1 "migrate down of an unknown tenant"
ctl migrate down --track=tenant --tenant=dev_tenant --to=99
expect_code 1 "migrate down to a version above the latest"
expect_output "the target version 99 is above" \
  "migrate down to a version above the latest"

# --- the shared store on PostgreSQL -------------------------------------

if shared_db="$(postgres_test_database "$postgres_database")"; then
  pg() { run "$tenantctl" --data_dir="$work/pg" --shared_db="$shared_db" "$@"; }
  mkdir -p "$work/pg"
  pg migrate shared
  expect_code 0 "migrate shared on PostgreSQL"
  pg migrate down --track=shared --to=1
  expect_code 0 "migrate down shared on PostgreSQL"
  expect_output "shared store: reverted 0002_create_api_keys.up.sql with 0002_create_api_keys.down.sql" \
    "migrate down shared on PostgreSQL prints each step"
  expect_output "shared store: version $shared_latest -> 1" \
    "migrate down shared on PostgreSQL"
  expect_equal "$(psql --quiet --tuples-only --no-align "$shared_db" \
    --command="SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations")" \
    1 "PostgreSQL history after migrate down"
  expect_equal "$(psql --quiet --tuples-only --no-align "$shared_db" \
    --command="SELECT count(*) FROM information_schema.tables WHERE table_name = 'api_keys'")" \
    0 "api_keys is dropped on PostgreSQL"
  pg status
  expect_code 1 "status after migrate down on PostgreSQL"
  expect_output "shared store: version 1 of $shared_latest" \
    "status after migrate down on PostgreSQL"
  pg migrate shared
  expect_code 0 "migrate shared on PostgreSQL after migrate down"
  expect_output "shared store: version 1 -> $shared_latest" \
    "migrate shared on PostgreSQL after migrate down"
  pg migrate down --track=shared --to=0
  expect_code 0 "migrate down shared on PostgreSQL to 0"
  expect_equal "$(psql --quiet --tuples-only --no-align "$shared_db" \
    --command="SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'")" \
    0 "migrate down to 0 leaves only the history table"
else
  failures=$((failures + 1))
fi

if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "all checks passed"
