// The manifest that `loadgen prepare` writes and `loadgen run` reads: the
// tenants, users, profiles and documents that exist on the server.

#ifndef TENANTRY_TOOLS_LOADGEN_MANIFEST_H_
#define TENANTRY_TOOLS_LOADGEN_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tenantry::loadgen {

// One tenant and the resource names created in it.
struct ManifestTenant {
  // The tenant id, as in `x-tenant-id`, such as `bench-00000`.
  std::string id;
  // `tenants/{tenant}/profiles/{profile}` names.
  std::vector<std::string> profiles;
  // `users/{user}` names; users[i] owns profiles[i].
  std::vector<std::string> users;
  // `tenants/{tenant}/documents/{document}` names.
  std::vector<std::string> documents;
};

struct Manifest {
  std::vector<ManifestTenant> tenants;
};

// Returns the manifest as JSON:
//   {"tenants": [{"id": "...", "profiles": [...], "users": [...],
//                 "documents": [...]}, ...]}
std::string ManifestToJson(const Manifest& manifest);

// Parses JSON in the format of ManifestToJson. Errors name `source`.
absl::StatusOr<Manifest> ParseManifest(absl::string_view json,
                                       absl::string_view source);

// Reads and parses the manifest file at `path`.
absl::StatusOr<Manifest> ReadManifest(const std::string& path);

// Writes `content` to `path` through a temporary file and a rename, so a
// reader never sees a partial file.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view content);

// Returns `text` as a JSON string literal, with quotes and escapes.
std::string JsonString(absl::string_view text);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_MANIFEST_H_
