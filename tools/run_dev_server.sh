#!/usr/bin/env bash
# Installs the packages, builds Tenantry, migrates the embedded SQLite
# stores under ./data, loads the sample data, and runs the server on
# 127.0.0.1:50051 until Ctrl-C. Extra arguments go to the server, for
# example --listen=127.0.0.1:6000.
set -euo pipefail

cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build //services:tenantry_server //tools:tenantctl
bazel-bin/tools/tenantctl --data_dir=data migrate shared
bazel-bin/tools/tenantctl --data_dir=data migrate tenants
bazel-bin/tools/tenantctl --data_dir=data init-dev-data
exec bazel-bin/services/tenantry_server --data_dir=data "$@"
