#!/usr/bin/env bash
# Installs what the tests need, checks formatting, starts a throwaway
# PostgreSQL server, runs every test against it, and checks the container
# files against the repository. The server is stopped on exit, also when
# tests fail. Extra arguments go to `bazel test`, for example
# --test_output=all or a target pattern such as //tests/storage/...
set -euo pipefail

cd "$(dirname "$0")/.."
bash tools/setup.sh
bash tools/check_format.sh

# //tests/clients:node_smoke_test loads @grpc/grpc-js and
# @grpc/proto-loader from here, at the versions in package-lock.json,
# downloaded from the npm registry. A machine without Node.js gets
# Debian's nodejs and npm (Node.js 18).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    nodejs npm
fi
(cd tests/clients/node && npm ci --no-audit --no-fund --ignore-scripts)

postgres_parent="$(mktemp -d)"
chmod 711 "$postgres_parent"
trap 'bash tools/test_postgres.sh stop "$postgres_parent/pg"; rm -rf "$postgres_parent"' EXIT
postgres_url="$(bash tools/test_postgres.sh start "$postgres_parent/pg")"
echo "test.sh: PostgreSQL 15 for the tests runs at" \
  "$(sed -E 's#(://[^:/@]+:)[^@]*@#\1***@#' <<<"$postgres_url")"

targets=(//...)
if (($# > 0)) && [[ "${!#}" == //* ]]; then targets=(); fi
bazel test --test_env=TENANTRY_TEST_POSTGRES_URL="$postgres_url" \
  --test_env=TENANTRY_NODE_MODULES="$PWD/tests/clients/node/node_modules" \
  "${targets[@]}" "$@"

# libFuzzer over request validation and tenant-id parsing, for a bounded
# 20 seconds; README's Fuzzing section says how to run it longer.
bash tools/fuzz.sh 20

# No Docker engine runs here, so the image is never built; this checks that
# what the Dockerfile and docker-compose.yml copy, build and run exists.
bazel build //services:tenantry_server //tools:tenantctl //tools:health_check \
  //gateway:tenantry_gateway
/usr/bin/python3 tools/check_containers.py
/usr/bin/python3 tools/check_containers.py --self-test
