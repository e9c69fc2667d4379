#ifndef TENANTRY_SERVICES_TENANT_CALL_H_
#define TENANTRY_SERVICES_TENANT_CALL_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "services/request_context.h"
#include "storage/tenant_database.h"
#include "storage/tenant_registry.h"

namespace tenantry::services {

// The resolved tenant and its open database, passed to each handler of
// a tenant-scoped method.
struct TenantCall {
  const RequestContext& context;
  const std::string& tenant_id;
  // Stops the handler's storage work at the call's deadline or when gRPC
  // cancels the call; see storage::CallLimits.
  storage::TenantDatabase* database;
};

// Runs `handler` for a call to a tenant-scoped method and converts its
// status for gRPC. Before the handler runs, returns the interceptor's
// error for a missing, malformed, unknown or suspended tenant, and
// DEADLINE_EXCEEDED if the deadline has already passed. Storage work
// through TenantCall::database that the deadline or a cancellation stops
// returns DEADLINE_EXCEEDED or CANCELLED and commits nothing.
grpc::Status ServeTenantCall(
    const RequestContextRegistry& contexts, storage::TenantRegistry& tenants,
    const grpc::ServerContext* server_context,
    const std::function<absl::Status(const TenantCall&)>& handler);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_TENANT_CALL_H_
