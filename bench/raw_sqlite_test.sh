#!/usr/bin/env bash
# Runs raw_sqlite on a small table and checks its counts, the rows in the
# database file, its refusals, and that its INSERT and SELECT use the
# column list of storage/profile_store.cc.
#
# Usage: raw_sqlite_test.sh RAW_SQLITE
set -euo pipefail

raw_sqlite="$1"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/raw-sqlite-XXXXXX")"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

"$raw_sqlite" --dir="$work" --rows=300 --reads=500 --read_threads=2 \
  --synchronous=NORMAL --max_seconds=30s --json="$work/result.json"

/usr/bin/python3 - "$work/result.json" <<'PYTHON'
import json
import sys

with open(sys.argv[1]) as result_file:
    result = json.load(result_file)
checks = [
    ("synchronous", result["synchronous"], "NORMAL"),
    ("busy_cpu", result["busy_cpu"], False),
    ("insert count", result["insert"]["count"], 300),
    ("read count", result["read"]["count"], 500),
    ("read_threads", result["read_threads"], 2),
    ("concurrent read count", result["concurrent_read"]["count"], 1000),
]
failed = False
for name, actual, expected in checks:
    if actual != expected:
        print(f"FAIL: {name} is {actual!r}, expected {expected!r}", file=sys.stderr)
        failed = True
for phase in ("insert", "read", "concurrent_read"):
    latency = result[phase]["latency_ms"]
    if not 0 < latency["p50"] <= latency["p99"] <= latency["max"]:
        print(f"FAIL: {phase} latencies are out of order: {latency}", file=sys.stderr)
        failed = True
    if result[phase]["per_second"] <= 0:
        print(f"FAIL: {phase} per_second is {result[phase]['per_second']}",
              file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
PYTHON

# The rows are in the file, in the schema of the last tenant migration.
rows="$(sqlite3 "$work/raw_sqlite.db" "SELECT count(*) FROM profiles")"
[[ "$rows" == 300 ]] || fail "the profiles table has $rows rows, expected 300"
journal_mode="$(sqlite3 "$work/raw_sqlite.db" "PRAGMA journal_mode")"
[[ "$journal_mode" == wal ]] || fail "journal_mode is $journal_mode, expected wal"
sqlite3 "$work/raw_sqlite.db" "SELECT slug, date_of_birth FROM profiles LIMIT 1" \
  >/dev/null || fail "the columns of migration 0002 are missing"

# A second run must not reuse the file.
if "$raw_sqlite" --dir="$work" --rows=10 2>"$work/stderr"; then
  fail "a second run into the same --dir succeeded"
fi
grep -q "raw_sqlite.db already exists" "$work/stderr" ||
  fail "the error for an existing file does not name it: $(cat "$work/stderr")"

mkdir "$work/other"
if "$raw_sqlite" --dir="$work/other" --synchronous=OFF 2>"$work/stderr"; then
  fail "--synchronous=OFF was accepted"
fi
grep -q 'must be FULL or NORMAL, not "OFF"' "$work/stderr" ||
  fail "the error for --synchronous=OFF is unclear: $(cat "$work/stderr")"

# The column list and placeholders must stay those of the server.
/usr/bin/python3 - bench/raw_sqlite.cc storage/profile_store.cc <<'PYTHON'
import re
import sys


def constant(path, name):
    with open(path) as source:
        text = source.read()
    match = re.search(r"constexpr char " + name + r"\[\] =((?:\s*\"[^\"]*\")+);", text)
    if match is None:
        sys.exit(f"FAIL: {path} has no constant {name}")
    return "".join(re.findall(r"\"([^\"]*)\"", match.group(1)))


for name in ("kProfileColumns", "kProfilePlaceholders"):
    bench, server = (constant(path, name) for path in sys.argv[1:3])
    if bench != server:
        sys.exit(f"FAIL: {name} differs:\n  bench/raw_sqlite.cc: {bench}\n"
                 f"  storage/profile_store.cc: {server}")
PYTHON
echo "PASS"
