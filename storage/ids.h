#ifndef TENANTRY_STORAGE_IDS_H_
#define TENANTRY_STORAGE_IDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tenantry::storage {

// The tenant id format, for error messages.
inline constexpr absl::string_view kTenantIdFormat =
    "a lowercase letter, then lowercase letters, digits, '-' or '_', at "
    "most 63 characters";

// Returns OK if `id` is a well-formed tenant id, else INVALID_ARGUMENT
// naming the value and the format. Tenant ids become file names, so this
// check is what keeps them inside the data directory.
absl::Status ValidateTenantId(absl::string_view id);

// Returns a new server-generated id: 26 characters of lowercase Crockford
// base32 that encode a 48-bit millisecond timestamp and 80 random bits.
// Within one process each id sorts after the previous one, because an id
// made in the same millisecond as the previous one is that id plus 1.
// Thread-safe.
std::string NewResourceId();

// Returns whether `id` has the shape of an id from NewResourceId().
bool IsResourceId(absl::string_view id);

// Returns the 16-hex-digit FNV-1a 64-bit hash of `data`. Stable across
// processes and versions, unlike absl::Hash; not meant to resist tampering.
std::string StableChecksum(absl::string_view data);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_IDS_H_
