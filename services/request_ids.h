#ifndef TENANTRY_SERVICES_REQUEST_IDS_H_
#define TENANTRY_SERVICES_REQUEST_IDS_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "storage/request_ids.h"

namespace tenantry::services {

// Returns the key under which a create with `request_id` is recorded:
// std::nullopt when `request_id` is empty, INVALID_ARGUMENT with a
// BadRequest violation on the field `field` when it is malformed. The
// request hash covers every field of `request` except `field`.
absl::StatusOr<std::optional<storage::RequestKey>> RequestKeyFor(
    absl::string_view method, const google::protobuf::Message& request,
    absl::string_view field, absl::string_view request_id);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_REQUEST_IDS_H_
