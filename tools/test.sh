#!/usr/bin/env bash
# Installs what the tests need, checks formatting, and runs every test.
# Extra arguments go to `bazel test`, for example --test_output=all.
set -euo pipefail

cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/check_format.sh
bazel test //... "$@"
