#!/usr/bin/env bash
# Measures Tenantry and its baselines in one go, and writes
# bench/results/results.json, bench/results/concurrency.svg and
# bench/README.md.
#
#   bash bench/run.sh
#
# It builds in opt mode in a Bazel output base of its own, so the dev
# build keeps its cache and its bazel-* links. It prepares data through
# the API with `loadgen prepare`, then runs each scenario of bench/README.md
# for BENCH_SECONDS after a warm-up, with the server pinned to CPU 0 and
# the client to CPU 1 when there are two or more CPUs. Servers listen on
# 127.0.0.1 only, and every server is stopped by its PID on exit.
#
# Environment (defaults in brackets):
#   BENCH_SECONDS         measured seconds per run [5]
#   BENCH_WARMUP_SECONDS  warm-up seconds per run, not measured [1]
#   BENCH_CONCURRENCY     calls in flight of the concurrency sweeps
#                         ["1 8 32 128"]
#   BENCH_CONNECTIONS     maximum HTTP/2 connections per run; a run uses
#                         min(this, its concurrency) [4]
#   BENCH_PROFILES        profiles of the one-tenant data set [1000]
#   BENCH_MANY_TENANTS    tenants of the many-tenant data set [10000]
#   BENCH_MANY_PROFILES   profiles per tenant of that set [5]
#   BENCH_CACHE_DIR       directory for the Bazel output base (bazel/), the
#                         many-tenant data set, which later runs reuse
#                         (data/), and the work directory of a run
#                         [~/.cache/tenantry-bench]
#   BENCH_FRESH_DATA=1    prepare the many-tenant data set again
#   BENCH_KEEP_WORK=1     keep the work directory (server logs, the JSON
#                         of each run) instead of deleting it on exit
#   BENCH_LARGE_DOCUMENT_MIB  size of the large document that
#                         bench/large_document.sh uploads and downloads
#                         [256]
set -euo pipefail

cd "$(dirname "$0")/.."

# Prints the seconds since START, a value of $EPOCHREALTIME, to 0.1 s.
seconds_since() {
  awk -v start="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }'
}
script_start=$EPOCHREALTIME

seconds="${BENCH_SECONDS:-5}"
warmup="${BENCH_WARMUP_SECONDS:-1}"
read -r -a concurrency_levels <<<"${BENCH_CONCURRENCY:-1 8 32 128}"
max_connections="${BENCH_CONNECTIONS:-4}"
single_profiles="${BENCH_PROFILES:-1000}"
many_tenants="${BENCH_MANY_TENANTS:-10000}"
many_profiles="${BENCH_MANY_PROFILES:-5}"
cache_dir="${BENCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantry-bench}"

fail() {
  echo "bench/run.sh: $*" >&2
  exit 1
}

for setting in BENCH_SECONDS="$seconds" BENCH_WARMUP_SECONDS="$warmup" \
  BENCH_CONNECTIONS="$max_connections" BENCH_PROFILES="$single_profiles" \
  BENCH_MANY_TENANTS="$many_tenants" BENCH_MANY_PROFILES="$many_profiles"; do
  [[ "${setting#*=}" =~ ^[1-9][0-9]*$ ]] ||
    fail "${setting%%=*} must be a positive whole number, not '${setting#*=}'"
done
((${#concurrency_levels[@]} > 0)) || fail "BENCH_CONCURRENCY is empty"
for level in "${concurrency_levels[@]}"; do
  [[ "$level" =~ ^[1-9][0-9]*$ ]] ||
    fail "BENCH_CONCURRENCY must list positive whole numbers, not '$level'"
done
# Calls in flight of the many-tenant GetProfile runs, and the servers'
# --tenant_cache_size. The targets in the report use both.
many_concurrency=32
tenant_cache_size=64

# The command line that reproduces this run, for the README.
command_line="bash bench/run.sh"
for name in BENCH_SECONDS BENCH_WARMUP_SECONDS BENCH_CONCURRENCY \
  BENCH_CONNECTIONS BENCH_PROFILES BENCH_MANY_TENANTS BENCH_MANY_PROFILES \
  BENCH_FRESH_DATA BENCH_LARGE_DOCUMENT_MIB; do
  if [[ -n "${!name:-}" ]]; then
    command_line="$name=$(printf '%q' "${!name}") $command_line"
  fi
done

# gnuplot draws bench/results/concurrency.svg.
if ! command -v gnuplot >/dev/null; then
  if [[ $(id -u) -ne 0 ]]; then
    fail "gnuplot is missing; install Debian's gnuplot-nox as root"
  fi
  echo "bench/run.sh: installing gnuplot-nox"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    gnuplot-nox
fi

# ---------------------------------------------------------------- build
# --symlink_prefix=/ creates no bazel-* links, which must keep pointing at
# the dev build's output base.
mkdir -p "$cache_dir"
bazel_bench=(bazel "--output_base=$cache_dir/bazel" --max_idle_secs=60)
phase_start=$EPOCHREALTIME
"${bazel_bench[@]}" build -c opt --symlink_prefix=/ \
  //services:tenantry_server //tools/loadgen:loadgen //bench:all \
  //tools:tenantctl //tools:document_transfer
build_seconds="$(seconds_since "$phase_start")"
bin="$("${bazel_bench[@]}" info -c opt bazel-bin)"
tenantry_server="$bin/services/tenantry_server"
empty_server="$bin/bench/empty_server"
loadgen="$bin/tools/loadgen/loadgen"
raw_sqlite="$bin/bench/raw_sqlite"
document_transfer="$bin/tools/document_transfer"

# ---------------------------------------------------------------- setup
mkdir -p "$cache_dir/work"
work="$(mktemp -d "$cache_dir/work/run.XXXXXX")"
runs_file="$work/runs.jsonl"
: >"$runs_file"
server_pids=()
# The directory that prepare_data is filling, if any.
staging=""

# Stops the servers that are still running, by PID, and deletes the work
# directory unless BENCH_KEEP_WORK=1.
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [[ -z "$staging" ]] || rm -rf "$staging"
  if [[ "${BENCH_KEEP_WORK:-0}" == 1 ]]; then
    echo "bench/run.sh: kept the work directory $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if (($(nproc) >= 2)); then
  server_cpu=(taskset -c 0)
  client_cpu=(taskset -c 1)
  pinning="server on CPU 0, client on CPU 1 (taskset)"
else
  server_cpu=()
  client_cpu=()
  pinning="none: $(nproc) CPU"
fi

# Starts a server in the background on 127.0.0.1 and waits until it logs
# its port: start_server NAME LOG PROGRAM [FLAG...]. Sets SERVER_PID and
# SERVER_PORT.
start_server() {
  local name="$1" log="$2"
  shift 2
  : >"$log"
  "${server_cpu[@]}" "$@" --listen=127.0.0.1:0 2>"$log" &
  SERVER_PID=$!
  server_pids+=("$SERVER_PID")
  SERVER_PORT=""
  for _ in $(seq 300); do
    SERVER_PORT="$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$log")"
    [[ -n "$SERVER_PORT" ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  fail "$name did not start within 30 s; its log is above"
}

# Stops the server of SERVER_PID with SIGTERM and waits for it.
stop_server() {
  local code=0
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || code=$?
  local kept=() pid
  for pid in "${server_pids[@]}"; do
    [[ "$pid" == "$SERVER_PID" ]] || kept+=("$pid")
  done
  server_pids=("${kept[@]}")
  ((code == 0)) || fail "the server with PID $SERVER_PID exited with code $code"
}

start_tenantry() {
  local data_dir="$1" log="$2"
  shift 2
  start_server tenantry_server "$log" "$tenantry_server" \
    --data_dir="$data_dir" --allow_unauthenticated --access_log=false \
    --tenant_cache_size="$tenant_cache_size" "$@"
}

# Prints "VmRSS VmHWM open_fds" of SERVER_PID, in KiB and files.
server_resources() {
  local rss hwm fds
  rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status")"
  hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status")"
  fds="$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)"
  echo "$rss $hwm $fds"
}

# Runs loadgen against SERVER_PORT and records the result in runs.jsonl:
#   run_load SCENARIO SERVER SYNCHRONOUS METHOD CONCURRENCY [LOADGEN_FLAG...]
# Exit code 2 (calls failed, or the run stopped before --calls or
# --duration) is recorded with the result, and the script goes on; the
# report tells the cases apart. A failed setup (exit code 1) stops the
# script.
run_number=0
run_load() {
  local scenario="$1" server="$2" synchronous="$3" method="$4"
  local concurrency="$5"
  shift 5
  run_number=$((run_number + 1))
  local label
  label="$(printf '%03d-%s-c%d' "$run_number" "$scenario" "$concurrency")"
  local connections=$((concurrency < max_connections ? concurrency : max_connections))
  local json="$work/runs/$label.json"
  mkdir -p "$work/runs"
  echo "bench/run.sh: $label: $method, $concurrency in flight," \
    "$connections connections"
  local code=0
  "${client_cpu[@]}" "$loadgen" run --target="127.0.0.1:$SERVER_PORT" \
    --method="$method" --concurrency="$concurrency" \
    --connections="$connections" --duration="${seconds}s" \
    --warmup="${warmup}s" --max_duration="$((seconds + warmup + 120))s" \
    --progress=0s --label="$label" --json="$json" "$@" || code=$?
  if ((code != 0 && code != 2)); then
    fail "loadgen failed with exit code $code in run $label; see above"
  fi
  local resources
  resources="$(server_resources)"
  /usr/bin/python3 bench/report.py record --runs="$runs_file" \
    --result="$json" --scenario="$scenario" --server="$server" \
    --synchronous="$synchronous" --exit_code="$code" \
    --tenant_cache_size="$tenant_cache_size" --resources="$resources"
}

# Prepares TENANTS tenants with PROFILES profiles each under PREFIX
# through the API, on a server with --synchronous=NORMAL, and copies the
# data to DATA_DIR: prepare_data DATA_DIR MANIFEST PREFIX TENANTS PROFILES.
# The server runs on /dev/shm when it is a tmpfs, because there the fsync
# of each CreateUser in the shared store costs nothing; the copy leaves
# the same files on disk.
prepare_data() {
  local data_dir="$1" manifest="$2" prefix="$3" tenants="$4" profiles="$5"
  mkdir -p "$(dirname "$data_dir")" "$(dirname "$manifest")"
  if [[ "$(stat -f -c %T /dev/shm 2>/dev/null)" == tmpfs ]]; then
    staging="$(mktemp -d /dev/shm/tenantry-bench.XXXXXX)"
  else
    staging="$(mktemp -d "$work/staging.XXXXXX")"
  fi
  start_tenantry "$staging/data" "$work/prepare-$prefix.log" \
    --synchronous=NORMAL
  "${client_cpu[@]}" "$loadgen" prepare --target="127.0.0.1:$SERVER_PORT" \
    --tenants="$tenants" --profiles="$profiles" --tenant_prefix="$prefix" \
    --manifest="$manifest"
  stop_server
  cp -a "$staging/data" "$data_dir"
  rm -rf "$staging"
  staging=""
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }
load_at_start="$(load_average)"

# ---------------------------------------------------------------- raw SQLite
# One thread, like one tenant's writer, pinned to the server's CPU. Each
# phase (insert, read, read from 4 threads) stops after BENCH_SECONDS. The
# third run repeats the FULL inserts with a spinning thread on that CPU
# (--busy_cpu): on a virtual machine whose idle vCPU halts, a commit that
# waits for fsync on an idle CPU also waits for the vCPU to wake up.
phase_start=$EPOCHREALTIME
raw_number=0
for variant in NORMAL FULL FULL-busy; do
  raw_number=$((raw_number + 1))
  synchronous="${variant%-busy}"
  flags=(--reads=100000000 --read_threads=4)
  [[ "$variant" == *-busy ]] && flags=(--busy_cpu --reads=1)
  dir="$work/raw-$raw_number"
  mkdir -p "$dir"
  echo "bench/run.sh: raw SQLite, $variant"
  "${server_cpu[@]}" "$raw_sqlite" --dir="$dir" --synchronous="$synchronous" \
    --rows=1000000 --max_seconds="${seconds}s" --json="$dir/result.json" \
    "${flags[@]}"
  /usr/bin/python3 bench/report.py record --runs="$runs_file" \
    --result="$dir/result.json" --scenario=raw_sqlite --server=raw_sqlite \
    --synchronous="$synchronous" --exit_code=0
  rm -f "$dir"/raw_sqlite.db*
done
raw_seconds="$(seconds_since "$phase_start")"

# ---------------------------------------------------------------- empty server
phase_start=$EPOCHREALTIME
start_server empty_server "$work/empty_server.log" "$empty_server"
for concurrency in "${concurrency_levels[@]}"; do
  run_load empty empty_server none Empty "$concurrency"
done
stop_server
empty_seconds="$(seconds_since "$phase_start")"

# ---------------------------------------------------------------- one tenant
single_data="$work/single/data"
single_manifest="$work/single/manifest.json"
phase_start=$EPOCHREALTIME
prepare_data "$single_data" "$single_manifest" bench 1 "$single_profiles"
prepare_single_seconds="$(seconds_since "$phase_start")"
phase_start=$EPOCHREALTIME

# CreateProfile needs one new user per call, which loadgen creates before
# the warm-up. So each run gets a --calls limit besides BENCH_SECONDS. The
# first run of a scenario gets twice what raw SQLite inserts in
# BENCH_SECONDS, and later ones three times the best throughput so far, at
# most 30000. A run that reaches the limit first is shorter but still
# valid. create_profile_calls SCENARIO SYNCHRONOUS prints the limit.
create_profile_calls() {
  /usr/bin/python3 bench/report.py create-calls --runs="$runs_file" \
    --scenario="$1" --synchronous="$2" --seconds="$seconds" --max_calls=30000
}

start_tenantry "$single_data" "$work/tenantry-full.log" --synchronous=FULL
for concurrency in "${concurrency_levels[@]}"; do
  run_load health tenantry FULL Health "$concurrency"
done
for concurrency in "${concurrency_levels[@]}"; do
  run_load get_profile tenantry FULL GetProfile "$concurrency" \
    --manifest="$single_manifest"
done
for concurrency in "${concurrency_levels[@]}"; do
  run_load list_profiles tenantry FULL ListProfiles "$concurrency" \
    --manifest="$single_manifest" --page_size=50
done
for concurrency in "${concurrency_levels[@]}"; do
  run_load create_profile_full tenantry FULL CreateProfile "$concurrency" \
    --manifest="$single_manifest" \
    --calls="$(create_profile_calls create_profile_full FULL)"
done
for concurrency in "${concurrency_levels[@]}"; do
  run_load create_document_4k tenantry FULL CreateDocument "$concurrency" \
    --manifest="$single_manifest" --document_bytes=4096
done
for concurrency in "${concurrency_levels[@]}"; do
  run_load create_document_1m tenantry FULL CreateDocument "$concurrency" \
    --manifest="$single_manifest" --document_bytes=1048576
done
stop_server

start_tenantry "$single_data" "$work/tenantry-normal.log" --synchronous=NORMAL
for concurrency in "${concurrency_levels[@]}"; do
  run_load create_profile_normal tenantry NORMAL CreateProfile \
    "$concurrency" --manifest="$single_manifest" \
    --calls="$(create_profile_calls create_profile_normal NORMAL)"
done
stop_server
rm -rf "$work/single"
single_seconds="$(seconds_since "$phase_start")"

# ---------------------------------------------------------------- large documents
# A 256 MiB upload and download on a server of its own; see the header of
# bench/large_document.sh.
phase_start=$EPOCHREALTIME
bash bench/large_document.sh --server="$tenantry_server" \
  --transfer="$document_transfer" --loadgen="$loadgen" --work="$work/large" \
  --runs="$runs_file"
large_document_seconds="$(seconds_since "$phase_start")"

# ---------------------------------------------------------------- many tenants
# The data set depends on its size and the schema, and the runs only read
# it, so later runs reuse it.
schema_key="$(cat migrations/shared/*.sql migrations/tenant/*.sql | sha256sum | cut -c1-12)"
many_dir="$cache_dir/data/many-$many_tenants-$many_profiles-$schema_key"
many_manifest="$many_dir/manifest.json"
many_reused=true
if [[ "${BENCH_FRESH_DATA:-0}" == 1 || ! -f "$many_dir/prepared" ]]; then
  many_reused=false
  rm -rf "$many_dir"
  phase_start=$EPOCHREALTIME
  prepare_data "$many_dir/data" "$many_manifest" many "$many_tenants" \
    "$many_profiles"
  seconds_since "$phase_start" >"$many_dir/prepared"
fi
prepare_many_seconds="$(cat "$many_dir/prepared")"

phase_start=$EPOCHREALTIME
tenant_counts=()
for count in 1 100 1000 10000; do
  ((count <= many_tenants)) && tenant_counts+=("$count")
done
for count in "${tenant_counts[@]}"; do
  for distribution in uniform zipf; do
    # A server of its own per run, so that VmHWM is the peak of this run.
    start_tenantry "$many_dir/data" "$work/tenantry-many.log" \
      --synchronous=FULL
    run_load "many_tenants_${count}_${distribution}" tenantry FULL \
      GetProfile "$many_concurrency" --manifest="$many_manifest" \
      --tenants="$count" --distribution="$distribution"
    stop_server
  done
done
many_seconds="$(seconds_since "$phase_start")"

# ---------------------------------------------------------------- report
load_at_end="$(load_average)"
git_commit="$(git rev-parse HEAD)"
git_dirty=false
[[ -n "$(git status --porcelain)" ]] && git_dirty=true
mkdir -p bench/results
/usr/bin/python3 bench/report.py finish --runs="$runs_file" \
  --results=bench/results/results.json --readme=bench/README.md \
  --svg=bench/results/concurrency.svg \
  --meta="date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --meta="command=$command_line" \
  --meta="git_commit=$git_commit" \
  --meta="git_dirty=$git_dirty" \
  --meta="cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
  --meta="cpus=$(nproc)" \
  --meta="memory_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" \
  --meta="kernel=$(uname -r)" \
  --meta="cpuidle_driver=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo unknown)" \
  --meta="filesystem=$(findmnt -n -o FSTYPE -T "$work" || stat -f -c %T "$work")" \
  --meta="pinning=$pinning" \
  --meta="load_average_start=$load_at_start" \
  --meta="load_average_end=$load_at_end" \
  --meta="seconds=$seconds" \
  --meta="warmup_seconds=$warmup" \
  --meta="max_connections=$max_connections" \
  --meta="single_tenant_profiles=$single_profiles" \
  --meta="many_tenants=$many_tenants" \
  --meta="many_profiles=$many_profiles" \
  --meta="many_concurrency=$many_concurrency" \
  --meta="tenant_cache_size=$tenant_cache_size" \
  --meta="build_seconds=$build_seconds" \
  --meta="prepare_single_seconds=$prepare_single_seconds" \
  --meta="prepare_many_seconds=$prepare_many_seconds" \
  --meta="raw_seconds=$raw_seconds" \
  --meta="empty_seconds=$empty_seconds" \
  --meta="single_seconds=$single_seconds" \
  --meta="many_seconds=$many_seconds" \
  --meta="large_document_seconds=$large_document_seconds" \
  --meta="prepare_many_reused=$many_reused" \
  --meta="total_seconds=$(seconds_since "$script_start")"
echo "bench/run.sh: done in $(seconds_since "$script_start") s; see bench/README.md"
