#include "storage/request_ids.h"

namespace tenantry::storage {

absl::StatusOr<std::optional<std::string>> FindRequest(SqliteConnection&,
                                                       const RequestKey&) {
  return std::nullopt;
}

absl::Status RecordRequest(SqliteConnection&, const RequestKey&,
                           absl::string_view) {
  return absl::OkStatus();
}

}  // namespace tenantry::storage
