#!/usr/bin/env bash
# Measures one upload and one download of a large document (256 MiB by
# default) with tools/document_transfer against tenantry_server, and the
# peak resident memory (VmHWM) of both the server and the client.
#
#   bash bench/large_document.sh
#
# Alone, it builds the server, loadgen and document_transfer with -c opt
# in bench/run.sh's Bazel output base, runs, and replaces the large
# document runs in bench/results/results.json and bench/README.md, keeping
# the other runs there. bench/run.sh calls it with the binaries it built
# and its runs file instead:
#
#   bash bench/large_document.sh --server=BIN --transfer=BIN --loadgen=BIN \
#     --work=DIR --runs=FILE
#
# The server runs with --synchronous=FULL on a new data directory on disk,
# pinned to CPU 0 and the client to CPU 1 when there are two or more CPUs.
# It listens on 127.0.0.1 only and is stopped by its PID on exit. The
# server's VmHWM is reset after the upload (/proc/PID/clear_refs), so the
# download's peak is its own.
#
# Environment (defaults in brackets):
#   BENCH_LARGE_DOCUMENT_MIB  size of the document in MiB [256]
#   BENCH_CACHE_DIR           as in bench/run.sh [~/.cache/tenantry-bench]
#   BENCH_KEEP_WORK=1         keep the work directory of a standalone run
set -euo pipefail

cd "$(dirname "$0")/.."

fail() {
  echo "bench/large_document.sh: $*" >&2
  exit 1
}

size_mib="${BENCH_LARGE_DOCUMENT_MIB:-256}"
[[ "$size_mib" =~ ^[1-9][0-9]*$ ]] ||
  fail "BENCH_LARGE_DOCUMENT_MIB must be a positive whole number, not '$size_mib'"
cache_dir="${BENCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantry-bench}"

server="" transfer="" loadgen="" work="" runs_file=""
for argument in "$@"; do
  case "$argument" in
    --server=*) server="${argument#*=}" ;;
    --transfer=*) transfer="${argument#*=}" ;;
    --loadgen=*) loadgen="${argument#*=}" ;;
    --work=*) work="${argument#*=}" ;;
    --runs=*) runs_file="${argument#*=}" ;;
    *) fail "unknown argument '$argument'; see the header of this script" ;;
  esac
done

standalone=false
if [[ -z "$server$transfer$loadgen$work$runs_file" ]]; then
  standalone=true
  mkdir -p "$cache_dir/work"
  bazel_bench=(bazel "--output_base=$cache_dir/bazel" --max_idle_secs=60)
  "${bazel_bench[@]}" build -c opt --symlink_prefix=/ \
    //services:tenantry_server //tools:document_transfer //tools/loadgen:loadgen
  bin="$("${bazel_bench[@]}" info -c opt bazel-bin)"
  server="$bin/services/tenantry_server"
  transfer="$bin/tools/document_transfer"
  loadgen="$bin/tools/loadgen/loadgen"
  work="$(mktemp -d "$cache_dir/work/large.XXXXXX")"
  runs_file="$work/runs.jsonl"
  : >"$runs_file"
elif [[ -z "$server" || -z "$transfer" || -z "$loadgen" || -z "$work" ||
  -z "$runs_file" ]]; then
  fail "--server, --transfer, --loadgen, --work and --runs go together"
fi
mkdir -p "$work"
phase_start=$EPOCHREALTIME
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"

server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -f "$work/large.bin" "$work/large.out"
  rm -rf "$work/large-data"
  if [[ "$standalone" == true && "${BENCH_KEEP_WORK:-0}" != 1 ]]; then
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if (($(nproc) >= 2)); then
  server_cpu=(taskset -c 0)
  client_cpu=(taskset -c 1)
else
  server_cpu=()
  client_cpu=()
fi

# ---------------------------------------------------------------- server
log="$work/large-server.log"
: >"$log"
"${server_cpu[@]}" "$server" --data_dir="$work/large-data" \
  --listen=127.0.0.1:0 --allow_unauthenticated --access_log=false \
  --synchronous=FULL 2>"$log" &
server_pid=$!
port=""
for _ in $(seq 300); do
  port="$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$log")"
  [[ -n "$port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n "$port" ]] || fail "tenantry_server did not start within 30 s: $(cat "$log")"

# Prints "VmRSS VmHWM open_fds" of the server, in KiB and files.
server_resources() {
  local rss hwm fds
  rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")"
  hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")"
  fds="$(find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)"
  echo "$rss $hwm $fds"
}

# One tenant, bench-00000, made through the API.
"${client_cpu[@]}" "$loadgen" prepare --target="127.0.0.1:$port" --tenants=1 \
  --profiles=1 --tenant_prefix=bench --manifest="$work/large-manifest.json" \
  >/dev/null

echo "bench/large_document.sh: writing a ${size_mib} MiB random file"
head -c "$((size_mib << 20))" /dev/urandom >"$work/large.bin"
expected="$(sha256sum "$work/large.bin" | cut -d' ' -f1)"

# ---------------------------------------------------------------- runs
# Records one transfer: record SCENARIO JSON.
record() {
  local resources
  resources="$(server_resources)"
  /usr/bin/python3 bench/report.py record --runs="$runs_file" \
    --result="$2" --scenario="$1" --server=tenantry --synchronous=FULL \
    --exit_code=0 --resources="$resources"
}

echo "bench/large_document.sh: upload"
"${client_cpu[@]}" "$transfer" upload --target="127.0.0.1:$port" \
  --tenant=bench-00000 --file="$work/large.bin" --title="Large document" \
  --json="$work/large-upload.json"
record large_document_upload "$work/large-upload.json"
name="$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$work/large-upload.json")"

# Writing 5 resets VmHWM to the current RSS (Linux 4.0 and later).
echo 5 >"/proc/$server_pid/clear_refs" ||
  fail "cannot reset the server's VmHWM through /proc/$server_pid/clear_refs"
echo "bench/large_document.sh: download"
"${client_cpu[@]}" "$transfer" download --target="127.0.0.1:$port" \
  --tenant=bench-00000 --name="$name" --out="$work/large.out" \
  --json="$work/large-download.json"
record large_document_download "$work/large-download.json"
actual="$(sha256sum "$work/large.out" | cut -d' ' -f1)"
[[ "$actual" == "$expected" ]] ||
  fail "the downloaded file has SHA-256 $actual, the uploaded one $expected"

kill -TERM "$server_pid"
wait "$server_pid" || fail "tenantry_server exited with code $?; its log: $(cat "$log")"
server_pid=""

# ---------------------------------------------------------------- report
if [[ "$standalone" == true ]]; then
  git_dirty=false
  [[ -n "$(git status --porcelain)" ]] && git_dirty=true
  /usr/bin/python3 bench/report.py merge --runs="$runs_file" \
    --results=bench/results/results.json --readme=bench/README.md \
    --svg=bench/results/concurrency.svg \
    --meta="large_document_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --meta="large_document_commit=$(git rev-parse HEAD)" \
    --meta="large_document_dirty=$git_dirty" \
    --meta="large_document_load_average=$load_at_start" \
    --meta="large_document_seconds=$(awk -v start="$phase_start" \
      -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }')"
  echo "bench/large_document.sh: done; see bench/README.md"
fi
