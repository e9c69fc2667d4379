#ifndef TENANTRY_SERVICES_METRICS_SOURCES_H_
#define TENANTRY_SERVICES_METRICS_SOURCES_H_

// Collectors that read the server's state when /metrics is scraped. Each
// function adds one collector to a registry; the objects passed in must
// outlive it.

#include <cstddef>

#include "services/metrics.h"
#include "services/tenant_call_stats.h"
#include "storage/shared_store.h"
#include "storage/tenant_cache.h"

namespace tenantry::services {

// tenantry_tenant_databases_open, tenantry_tenant_cache_capacity and the
// cache's hits, misses and evictions.
void AddTenantCacheMetrics(MetricsRegistry& registry,
                           const storage::TenantCache* cache);

// tenantry_group_commit_writes (a histogram of writes per group commit)
// and tenantry_tenant_writes_queued, for all tenant databases of the
// process.
void AddGroupCommitMetrics(MetricsRegistry& registry);

// tenantry_shared_store_connections_open and _max, and for PostgreSQL
// also _in_use, tenantry_shared_store_connection_waits_total and
// tenantry_shared_store_connection_wait_timeouts_total. The SQLite store
// has one connection, which it always keeps open.
void AddSharedStoreMetrics(MetricsRegistry& registry,
                           storage::SharedStore* store);

// Resident memory, open and maximum file descriptors, CPU time and start
// time of this process, read from /proc and getrusage().
void AddProcessMetrics(MetricsRegistry& registry);

// tenantry_tenant_calls_last_hour{tenant} and
// tenantry_tenant_errors_last_hour{tenant} for the `top` tenants with the
// most calls in the last hour, so that the number of series stays bounded
// however many tenants there are.
void AddBusiestTenantMetrics(MetricsRegistry& registry,
                             const TenantCallStats* stats, size_t top);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_METRICS_SOURCES_H_
