#ifndef TENANTRY_SERVICES_PAGINATION_H_
#define TENANTRY_SERVICES_PAGINATION_H_

// Page sizes and page tokens of List methods (AIP-158).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.h"

namespace tenantry::services {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;

// Turns a request's page_size and page_token into a storage page request.
// page_size 0 means kDefaultPageSize, larger than kMaxPageSize means
// kMaxPageSize, and negative is INVALID_ARGUMENT. `arguments` describes the
// request's other arguments (parent, filter, ...). A token issued for
// different arguments, or a token that is not one of ours, is
// INVALID_ARGUMENT.
absl::StatusOr<storage::PageRequest> ParsePageRequest(
    int32_t page_size, absl::string_view page_token,
    absl::string_view arguments);

// Returns the next_page_token for a page that ended at `last_id`, or "" if
// `has_more` is false.
std::string NextPageToken(bool has_more, absl::string_view last_id,
                          absl::string_view arguments);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_PAGINATION_H_
