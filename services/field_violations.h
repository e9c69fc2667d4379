#ifndef TENANTRY_SERVICES_FIELD_VIOLATIONS_H_
#define TENANTRY_SERVICES_FIELD_VIOLATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tenantry::services {

// The type URL under which an INVALID_ARGUMENT status carries its
// serialized google.rpc.BadRequest as an absl::Status payload.
inline constexpr absl::string_view kBadRequestTypeUrl =
    "type.googleapis.com/google.rpc.BadRequest";

// One invalid field of a request, as in google.rpc.BadRequest.
struct FieldViolation {
  // The field's path in the request, such as "profile.email"; metadata
  // keys such as "x-tenant-id" are named as they are sent.
  std::string field;
  // Why the value is invalid, read after the field's name: "is required".
  std::string description;
};

// Returns INVALID_ARGUMENT with the message "field: description" joined by
// "; ", and a google.rpc.BadRequest payload listing each violation.
// `violations` must not be empty.
absl::Status InvalidFieldsError(const std::vector<FieldViolation>& violations);

// Returns INVALID_ARGUMENT with `description` as the message and a
// google.rpc.BadRequest with one violation whose empty field path means
// the whole request, for errors that no single field causes.
absl::Status InvalidRequestError(absl::string_view description);

// Returns InvalidFieldsError for one field.
absl::Status InvalidFieldError(absl::string_view field,
                               absl::string_view description);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_FIELD_VIOLATIONS_H_
