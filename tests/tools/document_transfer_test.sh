#!/usr/bin/env bash
# document_transfer against a real tenantry_server, the gateway's
# streaming download, and a server killed during an upload:
#
# 1. uploads a 20 MiB random file with `document_transfer upload` and
#    downloads it with `document_transfer download`; both files and the
#    printed SHA-256 must match sha256sum;
# 2. reads the same document with GET .../documents/ID:download through
#    tenantry_gateway, which streams it as JSON lines;
# 3. starts an upload that sends 8 MiB and then waits, and kills the
#    server with SIGKILL once the chunks are in the tenant's file. After a
#    restart with another --document_chunk_bytes, the first call to the
#    tenant must leave no upload and no orphan chunk behind, and the first
#    document must still download intact;
# 4. before all that, checks that the server refuses to start with
#    out-of-range values of the document flags, naming the flag.
#
# Usage: document_transfer_test.sh SERVER DOCUMENT_TRANSFER GATEWAY HELPER
set -euo pipefail

server="$1"
transfer="$2"
gateway="$3"
helper="$4"
source tests/testing/server_fixture.sh

work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/document-transfer-XXXXXX")"
GATEWAY_PID=""
UPLOAD_PID=""
cleanup() {
  local code=$?
  if [[ -n "$UPLOAD_PID" ]]; then
    kill "$UPLOAD_PID" 2>/dev/null || true
    wait "$UPLOAD_PID" 2>/dev/null || true
  fi
  if [[ -n "$GATEWAY_PID" ]]; then
    kill -TERM "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
  fi
  stop_tenantry_server || true
  if [[ "$code" != 0 && -f "${SERVER_LOG:-}" ]]; then
    echo "the server log:"
    cat "$SERVER_LOG"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  exit 1
}

helper() { PYTHONPATH="$work/stubs" /usr/bin/python3 "$helper" "$@"; }
database="$work/data/tenants/acme.db"

# google/api/annotations.proto ships with Debian's grpc-gateway package.
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis
mkdir "$work/stubs"
/usr/bin/python3 -m grpc_tools.protoc -Iproto -I"$googleapis" \
  --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  proto/tenantry/v1/*.proto "$googleapis"/google/api/*.proto

# ---------------------------------------------------------------- flags
expect_start_failure() {
  local expected="$1" output code=0
  shift
  output="$(timeout 10 "$server" --data_dir="$work/flags" \
    --listen=127.0.0.1:0 --allow_unauthenticated "$@" 2>&1)" || code=$?
  ((code == 1)) || fail "$* exited with $code, expected 1: $output"
  grep -qF -- "$expected" <<<"$output" ||
    fail "$* did not print \"$expected\": $output"
}
expect_start_failure "--document_chunk_bytes=100 must be between 1024" \
  --document_chunk_bytes=100
expect_start_failure "--document_inline_max_bytes=-1 must be between 0" \
  --document_inline_max_bytes=-1
expect_start_failure "--max_upload_bytes=-5 must be between 0" \
  --max_upload_bytes=-5

start_tenantry_server "$server" "$work/data"
"$gateway" --listen=127.0.0.1:0 --backend="127.0.0.1:$SERVER_PORT" \
  2>"$work/gateway.log" &
GATEWAY_PID=$!
gateway_port=""
for _ in $(seq 100); do
  gateway_port="$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' \
    "$work/gateway.log")"
  [[ -n "$gateway_port" ]] && break
  kill -0 "$GATEWAY_PID" 2>/dev/null || break
  sleep 0.1
done
[[ -n "$gateway_port" ]] || fail "tenantry_gateway did not start: $(cat "$work/gateway.log")"
curl -sSf -X POST -d '{"display_name": "Acme"}' \
  "http://127.0.0.1:$gateway_port/v1/tenants?tenant_id=acme" >/dev/null

# ---------------------------------------------------------------- round trip
head -c $((20 << 20)) /dev/urandom >"$work/in.bin"
expected="$(sha256sum "$work/in.bin" | cut -d' ' -f1)"
"$transfer" upload --target="127.0.0.1:$SERVER_PORT" --tenant=acme \
  --file="$work/in.bin" --title=Scan --json="$work/upload.json" \
  >"$work/upload.txt"
cat "$work/upload.txt"
grep -q "20971520 bytes, sha256 $expected" "$work/upload.txt" ||
  fail "upload printed no size and SHA-256 $expected"
name="$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$work/upload.json")"
[[ "$name" == tenants/acme/documents/* ]] || fail "upload printed the name '$name'"

"$transfer" download --target="127.0.0.1:$SERVER_PORT" --tenant=acme \
  --name="$name" --out="$work/out.bin" >"$work/download.txt"
cat "$work/download.txt"
grep -q "20971520 bytes, sha256 $expected" "$work/download.txt" ||
  fail "download printed no size and SHA-256 $expected"
cmp "$work/in.bin" "$work/out.bin" || fail "the downloaded file differs"
[[ ! -e "$work/out.bin.part" ]] || fail "download left out.bin.part"

# A failed download leaves neither the file nor its .part.
if "$transfer" download --target="127.0.0.1:$SERVER_PORT" --tenant=acme \
  --name="tenants/acme/documents/01hx0000000000000000000000" \
  --out="$work/missing.bin" 2>"$work/missing.err"; then
  fail "download of a missing document exited 0"
fi
grep -q "NOT_FOUND" "$work/missing.err" || fail "no NOT_FOUND: $(cat "$work/missing.err")"
[[ ! -e "$work/missing.bin" && ! -e "$work/missing.bin.part" ]] ||
  fail "a failed download left a file"

# ---------------------------------------------------------------- REST
curl -sSf -H 'X-Tenant-ID: acme' \
  "http://127.0.0.1:$gateway_port/v1/$name:download" >"$work/rest.jsonl"
helper check-rest "$work/rest.jsonl" "$expected" $((20 << 20))

# ---------------------------------------------------------------- crash
helper paused-upload "127.0.0.1:$SERVER_PORT" acme 8 >"$work/paused.txt" 2>&1 &
UPLOAD_PID=$!
chunks=0
for _ in $(seq 200); do
  chunks="$(helper count "$database" document_chunks)"
  ((chunks >= 28)) && break
  sleep 0.05
done
((chunks == 28)) || fail "expected 20 + 8 chunks during the upload, found $chunks"
[[ "$(helper count "$database" document_uploads)" == 1 ]] ||
  fail "the upload in progress is not registered in document_uploads"

kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
kill "$UPLOAD_PID" 2>/dev/null || true
wait "$UPLOAD_PID" 2>/dev/null || true
UPLOAD_PID=""
# The killed server left the chunks and the upload's registration.
[[ "$(helper count "$database" document_chunks)" == 28 ]] ||
  fail "the chunks of the interrupted upload are not in the file"

# Another chunk size: the stored 1 MiB chunks are cut into 384 KiB messages.
start_tenantry_server "$server" "$work/data" --document_chunk_bytes=393216
[[ "$(helper list "127.0.0.1:$SERVER_PORT" acme)" == 1 ]] ||
  fail "expected 1 document after the restart"
[[ "$(helper count "$database" document_chunks)" == 20 ]] ||
  fail "orphan chunks remain: $(helper count "$database" document_chunks) chunks, expected 20"
[[ "$(helper count "$database" document_uploads)" == 0 ]] ||
  fail "the interrupted upload is still registered"
[[ "$(helper count "$database" documents)" == 1 ]] ||
  fail "the interrupted upload left a document"
grep -q "deleted 1 unfinished uploads" "$SERVER_LOG" ||
  fail "the server did not log the deleted upload"

"$transfer" download --target="127.0.0.1:$SERVER_PORT" --tenant=acme \
  --name="$name" --out="$work/again.bin" >/dev/null
cmp "$work/in.bin" "$work/again.bin" || fail "the file differs after the restart"
echo "PASS"
