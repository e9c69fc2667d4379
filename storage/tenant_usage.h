#ifndef TENANTRY_STORAGE_TENANT_USAGE_H_
#define TENANTRY_STORAGE_TENANT_USAGE_H_

// What a tenant database holds, kept up to date by the database itself, and
// the check of a create against the tenant's limits.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/records.h"
#include "storage/sqlite.h"

namespace tenantry::storage {

struct TenantUsageCounts {
  int64_t profiles = 0;
  int64_t posts = 0;
  int64_t documents = 0;
  // The sum of the documents' size_bytes.
  int64_t document_bytes = 0;
};

// Reads the counts of the tenant database open on `connection`.
absl::StatusOr<TenantUsageCounts> ReadUsageCounts(SqliteConnection& connection);

// What a create adds to a tenant's use.
struct UsageDelta {
  int64_t profiles = 0;
  int64_t documents = 0;
  int64_t document_bytes = 0;
};

// Call inside the write transaction that makes the create, before it
// writes. Returns RESOURCE_EXHAUSTED, naming the limit and the current use,
// if adding `delta` to the use of the database on `connection` would pass
// a limit of `quota`.
absl::Status CheckQuota(SqliteConnection& connection, const TenantQuota& quota,
                        const UsageDelta& delta);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_TENANT_USAGE_H_
