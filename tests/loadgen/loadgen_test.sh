#!/usr/bin/env bash
# loadgen prepare creates tenants, users, profiles and documents on a real
# server. loadgen run then records every requested call of each method as
# OK, and the server's access log shows exactly the calls loadgen made.
# Runs with failing calls exit 2 with a WARNING line.
# Usage: loadgen_test.sh SERVER LOADGEN
set -euo pipefail

server="$1"
loadgen="$2"
source tests/testing/server_fixture.sh
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/loadgen-XXXXXX")"
trap 'stop_tenantry_server || true; rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

start_tenantry_server "$server" "$work/data"
target="127.0.0.1:$SERVER_PORT"

# Prints the number of lines in the server's access log that match the
# extended regular expression $1.
count_server_calls() {
  grep -c -E -- "$1" "$SERVER_LOG" || true
}

# Waits until the access log has $2 lines matching $1. The server writes
# a line when the call object is destroyed, which may be just after the
# client got its response.
wait_for_server_calls() {
  local pattern="$1" expected="$2" attempt
  for attempt in $(seq 50); do
    [[ "$(count_server_calls "$pattern")" == "$expected" ]] && return 0
    sleep 0.1
  done
  fail "the server logged $(count_server_calls "$pattern") calls matching" \
    "'$pattern', expected $expected"
}

# --- prepare: 3 tenants x 20 profiles x 5 documents -----------------------

"$loadgen" prepare --target="$target" --tenants=3 --profiles=20 \
  --documents=5 --document_bytes=1000 --manifest="$work/manifest.json" \
  2>"$work/prepare.err" || {
  cat "$work/prepare.err" >&2
  fail "loadgen prepare exited with an error"
}
/usr/bin/python3 - "$work/manifest.json" <<'PYTHON'
import json
import sys

with open(sys.argv[1]) as file:
    manifest = json.load(file)
tenants = manifest["tenants"]
assert len(tenants) == 3, f"manifest has {len(tenants)} tenants, expected 3"
for index, tenant in enumerate(tenants):
    tenant_id = f"bench-{index:05d}"
    assert tenant["id"] == tenant_id, f"tenant {index} is {tenant['id']!r}, expected {tenant_id!r}"
    for field, count, prefix in [
        ("profiles", 20, f"tenants/{tenant_id}/profiles/"),
        ("users", 20, "users/"),
        ("documents", 5, f"tenants/{tenant_id}/documents/"),
    ]:
        names = tenant[field]
        assert len(names) == count, f"{tenant_id} has {len(names)} {field}, expected {count}"
        assert len(set(names)) == count, f"{tenant_id} has duplicate {field}: {names}"
        for name in names:
            assert name.startswith(prefix), (
                f"{tenant_id} {field} entry {name!r} does not start with {prefix!r}")
            assert len(name) > len(prefix), f"{tenant_id} {field} entry {name!r} has no id"
PYTHON

# A second prepare with the same prefix reuses the existing tenant.
"$loadgen" prepare --target="$target" --tenants=1 --profiles=2 \
  --manifest="$work/again.json" 2>"$work/again.err" || {
  cat "$work/again.err" >&2
  fail "loadgen prepare on an existing tenant exited with an error"
}
grep -q "reused 1 existing tenants" "$work/again.err" ||
  fail "second prepare did not report the reused tenant; its stderr: $(cat "$work/again.err")"

# --- run: each method, 300 recorded calls, all OK --------------------------

declare -A method_paths=(
  [GetProfile]=/tenantry.v1.ProfileService/GetProfile
  [CreateProfile]=/tenantry.v1.ProfileService/CreateProfile
  [ListProfiles]=/tenantry.v1.ProfileService/ListProfiles
  [CreateDocument]=/tenantry.v1.DocumentService/CreateDocument
  [GetDocument]=/tenantry.v1.DocumentService/GetDocument
  [Health]=/grpc.health.v1.Health/Check
)
calls=300
for method in GetProfile CreateProfile ListProfiles CreateDocument \
  GetDocument Health; do
  pattern="call method=${method_paths[$method]} .* code=OK "
  logged_before="$(count_server_calls "$pattern")"
  code=0
  "$loadgen" run --target="$target" --method="$method" \
    --manifest="$work/manifest.json" --calls="$calls" --concurrency=4 \
    --connections=2 --warmup=0.2s --progress=0s --label="test $method" \
    --json="$work/$method.json" >"$work/$method.out" \
    2>"$work/$method.err" || code=$?
  if [[ "$code" != 0 ]]; then
    cat "$work/$method.out" "$work/$method.err" >&2
    fail "loadgen run --method=$method exited $code, expected 0"
  fi
  if grep -q WARNING "$work/$method.err"; then
    fail "loadgen run --method=$method printed a warning: $(cat "$work/$method.err")"
  fi
  grep -q "^throughput .* calls/s" "$work/$method.out" ||
    fail "the table of --method=$method has no throughput row: $(cat "$work/$method.out")"
  /usr/bin/python3 - "$work/$method.json" "$method" "$calls" <<'PYTHON'
import json
import sys

path, method, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path) as file:
    result = json.load(file)
assert result["method"] == method, f"method is {result['method']!r}, expected {method!r}"
assert result["label"] == f"test {method}", f"label is {result['label']!r}"
assert result["connections"] == 2, f"connections is {result['connections']}"
assert result["concurrency"] == 4, f"concurrency is {result['concurrency']}"
expected_tenants = 0 if method == "Health" else 3
assert result["tenants"] == expected_tenants, (
    f"{method}: tenants is {result['tenants']}, expected {expected_tenants}")
assert result["calls"] == calls, f"{method}: recorded {result['calls']} calls, expected {calls}"
assert result["status_counts"] == {"OK": calls}, (
    f"{method}: status_counts is {result['status_counts']}, expected only OK={calls}")
assert result["stop_reason"] == "calls", f"{method}: stop_reason is {result['stop_reason']!r}"
assert result["seconds"] > 0, f"{method}: seconds is {result['seconds']}"
assert result["throughput"] > 0, f"{method}: throughput is {result['throughput']}"
latency = result["latency_ms"]
assert result["latency_exact"] is True, f"{method}: latency_exact is {result['latency_exact']}"
assert 0 < latency["p50"], f"{method}: p50 is {latency['p50']}"
assert latency["p50"] <= latency["p90"], f"{method}: p50 > p90 in {latency}"
assert latency["p90"] <= latency["p99"], f"{method}: p90 > p99 in {latency}"
assert latency["p99"] <= latency["p999"], f"{method}: p99 > p99.9 in {latency}"
assert latency["p999"] <= latency["max"], f"{method}: p99.9 > max in {latency}"
PYTHON
  # Warm-up calls reach the server too, but are not recorded.
  made="$(/usr/bin/python3 -c 'import json, sys
result = json.load(open(sys.argv[1]))
print(result["calls"] + result["warmup_calls"])' "$work/$method.json")"
  wait_for_server_calls "$pattern" "$((logged_before + made))"
done

# --tenants=2 calls only the first two tenants of the manifest.
declare -A tenant_calls_before
for tenant in bench-00000 bench-00001 bench-00002; do
  tenant_calls_before[$tenant]="$(count_server_calls "tenant=$tenant ")"
done
"$loadgen" run --target="$target" --method=GetProfile \
  --manifest="$work/manifest.json" --tenants=2 --calls=200 --warmup=0s \
  --progress=0s --json="$work/two_tenants.json" >/dev/null \
  2>"$work/two_tenants.err" || {
  cat "$work/two_tenants.err" >&2
  fail "loadgen run --tenants=2 exited with an error"
}
wait_for_server_calls "tenant=bench-0000[01] " \
  "$((tenant_calls_before[bench-00000] + tenant_calls_before[bench-00001] + 200))"
for tenant in bench-00000 bench-00001; do
  after="$(count_server_calls "tenant=$tenant ")"
  ((after > tenant_calls_before[$tenant])) ||
    fail "--tenants=2 made no call to $tenant"
done
[[ "$(count_server_calls "tenant=bench-00002 ")" == \
  "${tenant_calls_before[bench-00002]}" ]] ||
  fail "--tenants=2 called bench-00002, the third tenant"

# --- failing calls: exit 2 and a WARNING line ------------------------------

# A manifest naming a tenant that was never created: every GetProfile gets
# NOT_FOUND from the server's tenant check.
cat >"$work/missing.json" <<'JSON'
{"tenants": [{"id": "loadgen-missing",
              "profiles": ["tenants/loadgen-missing/profiles/01m914ykyeh7d4xjy1s1s4ph7c"],
              "users": [], "documents": []}]}
JSON
code=0
"$loadgen" run --target="$target" --method=GetProfile \
  --manifest="$work/missing.json" --calls=50 --warmup=0s --progress=0s \
  --json="$work/missing_result.json" >"$work/missing.out" \
  2>"$work/missing.err" || code=$?
[[ "$code" == 2 ]] ||
  fail "GetProfile on a missing tenant exited $code, expected 2; stderr: $(cat "$work/missing.err")"
grep -q "^WARNING: 50 of 50 calls failed: NOT_FOUND=50$" "$work/missing.err" ||
  fail "no WARNING line for the missing tenant; stderr: $(cat "$work/missing.err")"
/usr/bin/python3 - "$work/missing_result.json" <<'PYTHON'
import json
import sys

with open(sys.argv[1]) as file:
    result = json.load(file)
assert result["calls"] == 50, f"recorded {result['calls']} calls, expected 50"
assert result["status_counts"] == {"NOT_FOUND": 50}, (
    f"status_counts is {result['status_counts']}, expected NOT_FOUND=50")
PYTHON

# tenantry_server does not serve the bench's EmptyService.
code=0
"$loadgen" run --target="$target" --method=Empty --calls=20 --warmup=0s \
  --progress=0s >"$work/empty.out" 2>"$work/empty.err" || code=$?
[[ "$code" == 2 ]] ||
  fail "Empty against tenantry_server exited $code, expected 2"
grep -q "^WARNING: 20 of 20 calls failed: UNIMPLEMENTED=20$" "$work/empty.err" ||
  fail "no WARNING line for UNIMPLEMENTED; stderr: $(cat "$work/empty.err")"

# --- invalid flags: exit 1 with the flag named ------------------------------

code=0
"$loadgen" run --target="$target" --method=GetProfiles --calls=1 \
  2>"$work/usage.err" || code=$?
[[ "$code" == 1 ]] || fail "an unknown --method exited $code, expected 1"
grep -q -- "--method=GetProfiles is not a known method" "$work/usage.err" ||
  fail "the error does not name the method: $(cat "$work/usage.err")"

echo "loadgen prepared the manifest and recorded every call of each method"
