#ifndef TENANTRY_SERVICES_LIST_FILTER_H_
#define TENANTRY_SERVICES_LIST_FILTER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tenantry::services {

// One `field = value` condition of a List method's `filter` (a small
// subset of AIP-160).
struct FilterCondition {
  std::string field;
  // Without the quotes if the value was quoted.
  std::string value;
};

// Parses `filter`: empty, or `field = value` where `field` is one of
// `fields` and `value` is a bare word or a double-quoted string without
// escapes. Returns nullopt for an empty filter and INVALID_ARGUMENT with
// the accepted forms otherwise.
absl::StatusOr<std::optional<FilterCondition>> ParseFilter(
    absl::string_view filter, const std::vector<std::string>& fields);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_LIST_FILTER_H_
