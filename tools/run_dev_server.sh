#!/usr/bin/env bash
# Installs the packages, builds Tenantry, migrates the embedded SQLite
# stores under ./data, loads the sample data, and runs the gRPC server on
# 127.0.0.1:50051 with the REST gateway on 127.0.0.1:8080 until Ctrl-C.
# Extra arguments go to the server, for example --access_log=false.
set -euo pipefail

cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build //services:tenantry_server //tools:tenantctl \
  //gateway:tenantry_gateway
bazel-bin/tools/tenantctl --data_dir=data migrate shared
bazel-bin/tools/tenantctl --data_dir=data migrate tenants
bazel-bin/tools/tenantctl --data_dir=data init-dev-data

bazel-bin/gateway/tenantry_gateway --listen=127.0.0.1:8080 \
  --backend=127.0.0.1:50051 &
gateway_pid=$!
trap 'kill "$gateway_pid" 2>/dev/null || true; wait "$gateway_pid" || true' EXIT
bazel-bin/services/tenantry_server --data_dir=data \
  --listen=127.0.0.1:50051 "$@"
