#ifndef TENANTRY_SERVICES_TENANT_CALL_STATS_H_
#define TENANTRY_SERVICES_TENANT_CALL_STATS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tenantry::services {

// Counts the calls to tenant-scoped services per tenant over the last hour,
// in one-minute buckets, for GetTenantUsage and the metrics endpoint.
// Thread-safe.
class TenantCallStats {
 public:
  struct Counts {
    int64_t calls = 0;
    // Calls that ended with a status other than OK.
    int64_t errors = 0;
  };

  // Records one finished call of `tenant_id`.
  void Record(absl::string_view tenant_id, bool ok,
              absl::Time now = absl::Now());

  // The calls of `tenant_id` in the 60 minutes before `now`.
  Counts LastHour(absl::string_view tenant_id,
                  absl::Time now = absl::Now()) const;

  // Up to `limit` tenants with the most calls in the last hour, most first.
  std::vector<std::pair<std::string, Counts>> Busiest(
      size_t limit, absl::Time now = absl::Now()) const;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_TENANT_CALL_STATS_H_
