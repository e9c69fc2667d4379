#!/usr/bin/env bash
# Builds the request-parsing fuzz target //tests/fuzz:request_parsing_fuzzer
# with clang, libFuzzer, ASan and UBSan, and runs it for SECONDS seconds
# (default 20). Exits non-zero if the build fails, or if an input crashes
# the target, breaks one of its properties, leaks memory or runs for more
# than 10 s. libFuzzer then saves that input in the artifacts/ directory of
# the fuzz directory (see TENANTRY_FUZZ_DIR below), and the output names it.
#
#   tools/fuzz.sh [SECONDS [LIBFUZZER_FLAG...]]
#
# Bazel builds with --config=fuzz (.bazelrc) in an output base of its own,
# so the gcc build in the shared output base keeps its cache, and its
# bazel-* links keep pointing there. That Bazel server exits after 10
# minutes without work. The corpus that the run grows stays in the corpus/
# directory of the fuzz directory for the next run. The seeds in
# tests/fuzz/corpus/request_parsing are only read.
#
# Environment: TENANTRY_FUZZ_DIR, the directory for the build, the corpus
# and crash inputs (default: a directory per checkout under
# ~/.cache/tenantry-fuzz).
set -euo pipefail

cd "$(dirname "$0")/.."

seconds="${1:-20}"
if [[ ! "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: SECONDS must be a positive whole number, not '$seconds'" >&2
  exit 2
fi
shift $(($# > 0 ? 1 : 0))

# clang 14 and its libFuzzer and sanitizer runtimes; llvm-14 has
# llvm-symbolizer, which puts function names and lines in crash stacks.
packages=(clang libclang-rt-14-dev llvm-14)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
    grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "fuzz.sh: run as root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "fuzz.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

checkout_id="$(printf '%s' "$PWD" | md5sum | cut -c1-12)"
fuzz_dir="${TENANTRY_FUZZ_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantry-fuzz/$checkout_id}"
mkdir -p "$fuzz_dir/corpus" "$fuzz_dir/artifacts"
# Bazel takes only an absolute --output_base.
fuzz_dir="$(cd "$fuzz_dir" && pwd)"

bazel_fuzz=(bazel "--output_base=$fuzz_dir/bazel" --max_idle_secs=600)
target=//tests/fuzz:request_parsing_fuzzer
"${bazel_fuzz[@]}" build --config=fuzz "$target"
fuzzer="$("${bazel_fuzz[@]}" info --config=fuzz bazel-bin)/tests/fuzz/request_parsing_fuzzer"

symbolizer=/usr/lib/llvm-14/bin/llvm-symbolizer
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
export ASAN_SYMBOLIZER_PATH="$symbolizer" UBSAN_SYMBOLIZER_PATH="$symbolizer"

# -max_len leaves room above the longest limit the checks probe, the 2048
# characters of a URL. -timeout makes an input that runs for 10 s a failure.
echo "fuzz.sh: running $fuzzer for ${seconds}s; corpus in $fuzz_dir/corpus"
run_start="$fuzz_dir/artifacts/.run-start"
touch "$run_start"
status=0
"$fuzzer" \
  -max_total_time="$seconds" \
  -max_len=8192 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -dict=tests/fuzz/request_parsing.dict \
  -artifact_prefix="$fuzz_dir/artifacts/" \
  -print_final_stats=1 \
  "$@" \
  "$fuzz_dir/corpus" tests/fuzz/corpus/request_parsing || status=$?

# With -fork=N -ignore_crashes=1, libFuzzer exits 0 after failures, so
# the inputs saved during this run decide too.
mapfile -t failures < <(find "$fuzz_dir/artifacts" -type f -newer "$run_start" \
  ! -name .run-start)
if ((status != 0 || ${#failures[@]} > 0)); then
  echo "fuzz.sh: the fuzzer failed (exit code $status) on these inputs:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  echo "fuzz.sh: reproduce one with: $fuzzer FILE" >&2
  exit $((status != 0 ? status : 1))
fi
echo "fuzz.sh: no failure in ${seconds}s"
