#!/usr/bin/env bash
# Runs tenantry_server with invalid --listen, --shutdown_grace,
# --tenant_retention and --purge_interval values and checks that it exits
# 1 before serving, with a message that names the flag. Also checks that
# valid values pass.
# Usage: server_flags_test.sh SERVER
set -uo pipefail

server="$1"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/server-flags-XXXXXX")"
trap 'rm -rf "$work"' EXIT
failures=0

# Runs the server with the flags, storing its output in $output and its exit
# code in $code. A server that accepted the flags would serve until
# stopped, so `timeout` ends it and the exit code is then 124.
run_server() {
  output="$(timeout 10 "$server" --data_dir="$work/data" "$@" 2>&1)"
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

run_server --shutdown_grace=-5s
expect_code 1 "negative --shutdown_grace"
expect_output "--shutdown_grace=-5s must not be negative" \
  "negative --shutdown_grace"

for retention in 0s -1h; do
  run_server --tenant_retention="$retention"
  expect_code 1 "--tenant_retention=$retention"
  expect_output "must be positive, for example 168h" \
    "--tenant_retention=$retention"
done
run_server --purge_interval=-1m
expect_code 1 "negative --purge_interval"
expect_output "--purge_interval=-1m must not be negative" \
  "negative --purge_interval"

for listen in 127.0.0.1:99999 127.0.0.1:65536 127.0.0.1:-1 127.0.0.1:http \
  127.0.0.1: 127.0.0.1 :50051 [::1] [::1]50051 []:50051 ::1:50051; do
  run_server --listen="$listen"
  expect_code 1 "--listen=$listen"
  expect_output "--listen=$listen is invalid" "--listen=$listen"
  expect_output "for example 127.0.0.1:50051 or [::1]:50051" \
    "--listen=$listen names the fix"
done

run_server --listen=127.0.0.1:99999
expect_output "port 99999 is out of range" "--listen with a large port"

# Valid values pass their checks, so the empty --data_dir, checked after
# them, is the error reported. The server does not start.
for listen in 127.0.0.1:50051 127.0.0.1:0 localhost:65535 [::1]:50051 \
  [::]:0 0.0.0.0:50051; do
  run_server --listen="$listen" --data_dir=
  expect_code 1 "valid --listen=$listen"
  expect_output "--data_dir must not be empty" "valid --listen=$listen"
  expect_no_output "--listen" "valid --listen=$listen"
done
for flag in --tenant_retention=1s --tenant_retention=720h \
  --purge_interval=0 --purge_interval=30s; do
  run_server "$flag" --data_dir=
  expect_code 1 "valid $flag"
  expect_output "--data_dir must not be empty" "valid $flag"
done
for grace in 0s 10s 1m inf; do
  run_server --shutdown_grace="$grace" --data_dir=
  expect_code 1 "valid --shutdown_grace=$grace"
  expect_output "--data_dir must not be empty" \
    "valid --shutdown_grace=$grace"
done

if ((failures > 0)); then
  echo "$failures checks failed"
  exit 1
fi
echo "all checks passed"
