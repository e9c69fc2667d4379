#ifndef TENANTRY_SERVICES_ETAG_H_
#define TENANTRY_SERVICES_ETAG_H_

// Etags (AIP-154): each resource has a revision that every update
// increments; the etag is its text form.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tenantry::services {

std::string EtagForRevision(int64_t revision);

// Returns the revision in a request's etag, nullopt for an empty etag, or
// INVALID_ARGUMENT if `etag` was not issued by this API.
absl::StatusOr<std::optional<int64_t>> ParseEtag(absl::string_view field,
                                                 absl::string_view etag);

// Returns OK if `expected` is unset or equals `revision`, else ABORTED
// naming `resource_name`.
absl::Status CheckEtag(const std::optional<int64_t>& expected, int64_t revision,
                       absl::string_view resource_name);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_ETAG_H_
