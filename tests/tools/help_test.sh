#!/usr/bin/env bash
# Checks that --help and --helpshort of each binary list the binary's own
# flags, also when the binary runs under another name.
# Usage: help_test.sh SERVER TENANTCTL HEALTH_CHECK
set -uo pipefail

server="$1"
tenantctl="$2"
health_check="$3"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/help-XXXXXX")"
trap 'rm -rf "$work"' EXIT
failures=0

# absl 20220623 ends the program with exit code 1 after printing the
# output of --help or --helpshort.
readonly kHelpExitCode=1

# Runs BINARY with HELP_FLAG and checks the exit code and that the output
# lists each FLAG.
# Usage: expect_help_lists BINARY HELP_FLAG FLAG...
expect_help_lists() {
  local binary="$1" help_flag="$2"
  shift 2
  local output code=0
  output="$("$binary" "$help_flag" 2>&1)" || code=$?
  if [[ "$code" != "$kHelpExitCode" ]]; then
    echo "FAIL: $binary $help_flag: exit code $code, expected" \
      "$kHelpExitCode; output:"
    echo "$output"
    failures=$((failures + 1))
  fi
  local flag
  for flag in "$@"; do
    if ! grep -q -- "^ *$flag " <<<"$output"; then
      echo "FAIL: $binary $help_flag: output lacks $flag; output:"
      echo "$output"
      failures=$((failures + 1))
    fi
  done
  if grep -q "No flags matched" <<<"$output"; then
    echo "FAIL: $binary $help_flag: output has \"No flags matched\""
    failures=$((failures + 1))
  fi
}

server_flags=(--listen --data_dir --shared_db --shared_db_pool_size
  --tenant_cache_size --max_document_bytes --migrate_shared --access_log
  --synchronous --shutdown_grace --tenant_retention --purge_interval
  --metrics_listen --metrics_top_tenants --document_inline_max_bytes
  --document_chunk_bytes --max_upload_bytes)
tenantctl_flags=(--data_dir --shared_db --tenant --tenant_migrations_dir
  --ignore_purge_time --tenant_retention)
health_check_flags=(--address --service --timeout)

for help_flag in --help --helpshort; do
  expect_help_lists "$server" "$help_flag" "${server_flags[@]}"
  expect_help_lists "$tenantctl" "$help_flag" "${tenantctl_flags[@]}"
  expect_help_lists "$health_check" "$help_flag" "${health_check_flags[@]}"
done

# By default absl lists only the flags of the file named after argv[0], so
# a binary under another name would list none.
ln -s "$(realpath "$server")" "$work/renamed_server"
ln -s "$(realpath "$tenantctl")" "$work/renamed_tenantctl"
ln -s "$(realpath "$health_check")" "$work/renamed_health_check"
expect_help_lists "$work/renamed_server" --help "${server_flags[@]}"
expect_help_lists "$work/renamed_tenantctl" --help "${tenantctl_flags[@]}"
expect_help_lists "$work/renamed_health_check" --help \
  "${health_check_flags[@]}"

if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "all checks passed"
