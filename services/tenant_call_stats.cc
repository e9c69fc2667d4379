#include "services/tenant_call_stats.h"

namespace tenantry::services {

void TenantCallStats::Record(absl::string_view, bool, absl::Time) {}

TenantCallStats::Counts TenantCallStats::LastHour(absl::string_view,
                                                  absl::Time) const {
  return {};
}

std::vector<std::pair<std::string, TenantCallStats::Counts>>
TenantCallStats::Busiest(size_t, absl::Time) const {
  return {};
}

}  // namespace tenantry::services
