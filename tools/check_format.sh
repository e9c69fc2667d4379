#!/usr/bin/env bash
# Fails if any C++ or proto file differs from clang-format's output
# (Google style, 80 columns, from .clang-format). Fix with:
#   tools/check_format.sh --fix
set -euo pipefail

cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard \
  '*.cc' '*.h' '*.proto')

if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi

if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "check_format: the files above are not formatted; run" \
    "tools/check_format.sh --fix" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files are formatted"
