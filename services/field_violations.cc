#include "services/field_violations.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace tenantry::services {

absl::Status InvalidFieldsError(const std::vector<FieldViolation>& violations) {
  std::string message;
  google::rpc::BadRequest bad_request;
  for (const FieldViolation& violation : violations) {
    absl::StrAppend(&message, message.empty() ? "" : "; ", violation.field,
                    ": ", violation.description);
    google::rpc::BadRequest::FieldViolation* detail =
        bad_request.add_field_violations();
    detail->set_field(violation.field);
    detail->set_description(violation.description);
  }
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kBadRequestTypeUrl,
                    absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status InvalidRequestError(absl::string_view description) {
  google::rpc::BadRequest bad_request;
  bad_request.add_field_violations()->set_description(std::string(description));
  absl::Status status = absl::InvalidArgumentError(description);
  status.SetPayload(kBadRequestTypeUrl,
                    absl::Cord(bad_request.SerializeAsString()));
  return status;
}

absl::Status InvalidFieldError(absl::string_view field,
                               absl::string_view description) {
  return InvalidFieldsError({{std::string(field), std::string(description)}});
}

}  // namespace tenantry::services
