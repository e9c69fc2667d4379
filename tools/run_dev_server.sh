#!/usr/bin/env bash
# Installs the packages, builds Tenantry, migrates the embedded SQLite
# stores under ./data, loads the sample data, and runs the gRPC server on
# 127.0.0.1:50051 with the REST gateway on 127.0.0.1:8080 until Ctrl-C.
# GRPC_ADDRESS and REST_ADDRESS change the addresses. Extra arguments go to
# the server, for example --access_log=false. If the server or the gateway
# does not start, for example because its port is in use, the script stops
# the other one and exits with code 1.
#
# Usage: [GRPC_ADDRESS=HOST:PORT] [REST_ADDRESS=HOST:PORT] \
#          tools/run_dev_server.sh [SERVER_FLAG...]
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
gateway_log="$(mktemp)"
stop() {
  for pid in $gateway_pid $server_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -f "$gateway_log"
}
trap stop EXIT
trap 'exit 130' INT TERM

bazel-bin/services/tenantry_server --data_dir=data --allow_unauthenticated \
  --listen="$grpc_address" "$@" &
server_pid=$!
# Start the gateway once the server passes its health check, so that the
# gateway's first calls do not meet a refused connection.
for _ in $(seq 100); do
  bazel-bin/tools/health_check --address="$grpc_address" --timeout=1s \
    >/dev/null 2>&1 && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run_dev_server.sh: tenantry_server exited; is GRPC_ADDRESS" \
      "$grpc_address in use?" >&2
    exit 1
  fi
  sleep 0.1
done

# The gateway's log goes to the terminal and to a file. The file shows
# that this gateway bound REST_ADDRESS, because GET /openapi.json alone
# would also succeed against another process listening on that port.
bazel-bin/gateway/tenantry_gateway --listen="$rest_address" \
  --backend="$grpc_address" 2> >(tee "$gateway_log" >&2) &
gateway_pid=$!

# curl needs a host: a listen address such as :8080 serves 127.0.0.1 too.
rest_url="http://$rest_address/openapi.json"
if [[ "$rest_address" == :* ]]; then
  rest_url="http://127.0.0.1$rest_address/openapi.json"
fi
gateway_ready=false
deadline=$((SECONDS + 10))
# At most 100 tries and 10 seconds.
for _ in $(seq 100); do
  if ! kill -0 "$gateway_pid" 2>/dev/null; then
    break
  fi
  if grep -q "listening on" "$gateway_log" &&
    curl --silent --fail --globoff --max-time 1 --output /dev/null \
      "$rest_url"; then
    gateway_ready=true
    break
  fi
  ((SECONDS < deadline)) || break
  sleep 0.1
done
if [[ "$gateway_ready" != true ]]; then
  if kill -0 "$gateway_pid" 2>/dev/null; then
    echo "run_dev_server.sh: tenantry_gateway did not answer GET" \
      "$rest_url within 10 seconds; check REST_ADDRESS $rest_address." \
      "Stopping the server." >&2
  else
    echo "run_dev_server.sh: tenantry_gateway exited; is REST_ADDRESS" \
      "$rest_address in use? Set REST_ADDRESS to a free host:port." \
      "Stopping the server." >&2
  fi
  exit 1
fi
echo "run_dev_server.sh: gRPC on $grpc_address, REST on $rest_address;" \
  "Ctrl-C stops both" >&2
wait "$server_pid"
