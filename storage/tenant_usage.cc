#include "storage/tenant_usage.h"

namespace tenantry::storage {

absl::StatusOr<TenantUsageCounts> ReadUsageCounts(SqliteConnection&) {
  return absl::UnimplementedError("ReadUsageCounts");
}

absl::Status CheckQuota(SqliteConnection&, const TenantQuota&,
                        const UsageDelta&) {
  return absl::OkStatus();
}

}  // namespace tenantry::storage
