// `loadgen prepare`: creates the tenants, users, profiles and documents
// that `loadgen run` calls, and writes their names to a manifest.

#ifndef TENANTRY_TOOLS_LOADGEN_PREPARE_H_
#define TENANTRY_TOOLS_LOADGEN_PREPARE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace tenantry::loadgen {

struct PrepareOptions {
  std::string target;
  int tenants = 0;
  int profiles = 0;
  int documents = 0;
  int64_t document_bytes = 0;
  std::string tenant_prefix;
  std::string manifest_path;
  // Sent as `authorization: Bearer <api_key>` unless empty.
  std::string api_key;
};

// Creates tenants <prefix>-00000 .. (reusing existing ones), one new user
// and profile per --profiles in each, and --documents documents in each,
// then writes the manifest.
absl::Status RunPrepare(const PrepareOptions& options);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_PREPARE_H_
