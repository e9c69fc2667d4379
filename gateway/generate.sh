#!/usr/bin/env bash
# Generates the Go code and the OpenAPI description of the REST gateway from
# proto/tenantry/v1/*.proto and builds the gateway binary.
#
# Usage: gateway/generate.sh OUT_DIR
#
# Writes, under OUT_DIR:
#   gopath/src/tenantry.dev/gen/tenantry/v1/  messages, gRPC stubs, handlers
#   gopath/src/tenantry.dev/gateway/          the gateway's Go files and
#                                             openapi.json
#   swagger/                                  protoc-gen-swagger's output
#                                             and the descriptor set
#   gocache/                                  Go's build cache
#   tenantry_gateway                          the binary
#
# Everything comes from Debian 12 packages: protoc, protoc-gen-go 1.3
# (golang/protobuf APIv1, which has plugins=grpc), protoc-gen-grpc-gateway
# and protoc-gen-swagger 1.6.4, and the Go sources in /usr/share/gocode.
# Those sources have no go.mod files, so Go builds in GOPATH mode and
# downloads nothing. gateway/fix_openapi.py, run with /usr/bin/python3,
# makes protoc-gen-swagger's output valid OpenAPI 2.0.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
gopath="$out/gopath"
generated="$gopath/src/tenantry.dev/gen/tenantry/v1"
package="$gopath/src/tenantry.dev/gateway"
googleapis=/usr/share/gocode/src/github.com/grpc-ecosystem/grpc-gateway/third_party/googleapis

rm -rf "$generated" "$package" "$out/swagger"
mkdir -p "$generated" "$package" "$out/swagger" "$out/gocache"

# The well-known types declare APIv2 packages (google.golang.org/protobuf/
# types/known/...), which Debian's gateway packages do not use. Map them to
# the APIv1 packages that grpc-gateway 1.6.4 and golang/protobuf 1.3 expect.
import_map="Mgoogle/protobuf/empty.proto=github.com/golang/protobuf/ptypes/empty"
import_map+=",Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp"
import_map+=",Mgoogle/protobuf/wrappers.proto=github.com/golang/protobuf/ptypes/wrappers"
import_map+=",Mgoogle/protobuf/field_mask.proto=google.golang.org/genproto/protobuf/field_mask"

protos=()
for proto in "$repo"/proto/tenantry/v1/*.proto; do
  protos+=("tenantry/v1/$(basename "$proto")")
done

# go_package "tenantry.dev/gen/tenantry/v1" places the Go files under
# gopath/src. allow_patch_feature=false stops the generated PATCH handlers
# from adding the body's fields to an update_mask given in the query.
# requests.go builds the mask from the body only when the query has none.
# allow_merge writes one OpenAPI file for all four services. The
# descriptor set gives fix_openapi.py each RPC's request fields and HTTP
# rule.
(
  cd "$repo/proto"
  protoc -I . -I "$googleapis" -I /usr/include \
    --go_out="plugins=grpc,$import_map:$gopath/src" \
    --grpc-gateway_out="logtostderr=true,allow_patch_feature=false,$import_map:$gopath/src" \
    --swagger_out="logtostderr=true,allow_merge=true,merge_file_name=tenantry:$out/swagger" \
    --descriptor_set_out="$out/swagger/tenantry.pb" \
    "${protos[@]}"
)

# go:embed rejects symbolic links, so the sources are copied.
cp "$repo"/gateway/*.go "$package/"
/usr/bin/python3 "$repo/gateway/fix_openapi.py" \
  "$out/swagger/tenantry.swagger.json" "$out/swagger/tenantry.pb" \
  "$package/openapi.json"

# GOCACHE points into OUT_DIR and GOENV=off skips the user's go env file,
# so the build also works with HOME unset or read-only. GOFLAGS is cleared
# so that a caller's flags, such as -mod, do not reach a GOPATH build.
(
  cd "$package"
  export GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH="$gopath:/usr/share/gocode"
  export GOCACHE="$out/gocache" GOENV=off
  go build -trimpath -o "$out/tenantry_gateway" .
)
echo "generate.sh: built $out/tenantry_gateway"
