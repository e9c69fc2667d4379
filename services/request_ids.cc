#include "services/request_ids.h"

namespace tenantry::services {

absl::StatusOr<std::optional<storage::RequestKey>> RequestKeyFor(
    absl::string_view, const google::protobuf::Message&, absl::string_view,
    absl::string_view) {
  return std::nullopt;
}

}  // namespace tenantry::services
