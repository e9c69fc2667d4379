#ifndef TENANTRY_TOOLS_DEV_DATA_H_
#define TENANTRY_TOOLS_DEV_DATA_H_

#include <ostream>

#include "absl/status/status.h"
#include "storage/tenant_registry.h"

namespace tenantry::tools {

// Loads sample data for development: the tenants `dev_tenant` and
// `demo_school`, four users, student and teacher profiles, posts and
// documents. Idempotent: what exists already (matched by tenant id, user
// email, profile user, post content and document title) is left alone,
// so a second run writes nothing. Prints one line per created item to
// `log`. The shared store must be migrated.
absl::Status LoadDevData(storage::TenantRegistry& tenants, std::ostream& log);

}  // namespace tenantry::tools

#endif  // TENANTRY_TOOLS_DEV_DATA_H_
