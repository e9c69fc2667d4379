#!/usr/bin/env bash
# Fails if any C++ or proto file differs from clang-format's output
# (Google style, 80 columns, from .clang-format), or any Go file from
# gofmt's. Fix with:
#   tools/check_format.sh --fix
set -euo pipefail

cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard \
  '*.cc' '*.h' '*.proto')

mapfile -t go_files < <(git ls-files --cached --others --exclude-standard \
  '*.go')

if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  gofmt -w "${go_files[@]}"
  echo "check_format: formatted $((${#files[@]} + ${#go_files[@]})) files"
  exit 0
fi

unformatted_go="$(gofmt -l "${go_files[@]}")"
if ! clang-format --dry-run --Werror "${files[@]}" ||
  [[ -n "$unformatted_go" ]]; then
  [[ -n "$unformatted_go" ]] && echo "$unformatted_go" >&2
  echo "check_format: the files above are not formatted; run" \
    "tools/check_format.sh --fix" >&2
  exit 1
fi
echo "check_format: $((${#files[@]} + ${#go_files[@]})) files are formatted"
