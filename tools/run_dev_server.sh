#!/usr/bin/env bash
# Installs the packages, builds Tenantry, migrates the embedded SQLite
# stores under ./data, loads the sample data, and runs the gRPC server on
# 127.0.0.1:50051 with the REST gateway on 127.0.0.1:8080 until Ctrl-C.
# GRPC_ADDRESS and REST_ADDRESS change the addresses. Extra arguments go to
# the server, for example --access_log=false.
set -euo pipefail

cd "$(dirname "$0")/.."
bash tools/setup.sh
bazel build //services:tenantry_server //tools:tenantctl //tools:health_check \
  //gateway:tenantry_gateway
bazel-bin/tools/tenantctl --data_dir=data migrate shared
bazel-bin/tools/tenantctl --data_dir=data migrate tenants
bazel-bin/tools/tenantctl --data_dir=data init-dev-data

grpc_address="${GRPC_ADDRESS:-127.0.0.1:50051}"
rest_address="${REST_ADDRESS:-127.0.0.1:8080}"
server_pid=""
gateway_pid=""
stop() {
  for pid in $gateway_pid $server_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap stop EXIT
trap 'exit 130' INT TERM

bazel-bin/services/tenantry_server --data_dir=data \
  --listen="$grpc_address" "$@" &
server_pid=$!
# Start the gateway once the server answers, so that its first calls do
# not meet a refused connection.
for _ in $(seq 100); do
  bazel-bin/tools/health_check --address="$grpc_address" --timeout=1s \
    >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || exit 1
  sleep 0.1
done
bazel-bin/gateway/tenantry_gateway --listen="$rest_address" \
  --backend="$grpc_address" &
gateway_pid=$!
wait "$server_pid"
