#!/usr/bin/env bash
# Loads the sample data into a new SQLite shared store, starts
# tenantry_server on a free 127.0.0.1 port, runs smoke_test.js against it
# with Node.js, and stops the server by its PID on exit, also when a step
# fails.
#
# Usage: smoke_test.sh SERVER TENANTCTL
#
# TENANTRY_NODE_MODULES must name a node_modules directory made by
# `npm ci` in tests/clients/node. Bazel does not track that directory, so
# tools/test.sh runs npm ci and passes it with --test_env.
set -euo pipefail

server="$1"
tenantctl="$2"
source tests/testing/server_fixture.sh

npm_fix="Run 'npm ci' in tests/clients/node, then pass
  --test_env=TENANTRY_NODE_MODULES=\$PWD/tests/clients/node/node_modules
to bazel test from the repository root. bash tools/test.sh does both."
modules="${TENANTRY_NODE_MODULES:-}"
if [[ -z "$modules" ]]; then
  echo "FAIL: TENANTRY_NODE_MODULES is not set. $npm_fix"
  exit 1
fi
for package in @grpc/grpc-js @grpc/proto-loader; do
  if [[ ! -f "$modules/$package/package.json" ]]; then
    echo "FAIL: the Node.js package $package is missing from" \
      "TENANTRY_NODE_MODULES=$modules. $npm_fix"
    exit 1
  fi
done

work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/node-smoke-XXXXXX")"
cleanup() {
  local code=$?
  stop_tenantry_server || true
  if [[ "$code" != 0 && -f "$work/data/server.log" ]]; then
    echo "the server log:"
    cat "$work/data/server.log"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# init-dev-data registers dev_tenant, where smoke_test.js creates its
# profile.
shared_db="sqlite:$work/data/shared.db"
mkdir "$work/data"
"$tenantctl" --data_dir="$work/data" --shared_db="$shared_db" migrate shared \
  >/dev/null
"$tenantctl" --data_dir="$work/data" --shared_db="$shared_db" init-dev-data \
  >/dev/null
start_tenantry_server "$server" "$work/data" --shared_db="$shared_db"

# --preserve-symlinks-main keeps Node from resolving the runfiles symlink
# to the source tree and finding a node_modules there, so the modules come
# from NODE_PATH alone.
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
NODE_PATH="$modules" timeout 50 node --preserve-symlinks-main \
  tests/clients/node/smoke_test.js "127.0.0.1:$SERVER_PORT" proto \
  "$googleapis"

code=0
stop_tenantry_server || code=$?
if [[ "$code" != 0 ]]; then
  echo "FAIL: SIGTERM ended the server with exit code $code"
  exit 1
fi
