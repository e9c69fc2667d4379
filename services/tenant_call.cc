#include "services/tenant_call.h"

#include <memory>
#include <utility>

#include "absl/time/clock.h"
#include "services/grpc_status.h"
#include "storage/status_macros.h"

namespace tenantry::services {
namespace {

absl::Status RunTenantCall(
    const RequestContextRegistry& contexts, storage::TenantRegistry& tenants,
    const grpc::ServerContext* server_context,
    const std::function<absl::Status(const TenantCall&)>& handler) {
  TENANTRY_ASSIGN_OR_RETURN(std::shared_ptr<const RequestContext> context,
                            contexts.Get(server_context));
  TENANTRY_RETURN_IF_ERROR(context->tenant_status);
  if (!context->tenant.has_value()) {
    return absl::InternalError(absl::StrCat(
        "method ", context->method, " is not registered as tenant-scoped"));
  }
  if (absl::Now() > context->deadline) {
    return absl::DeadlineExceededError("the call's deadline passed");
  }
  const std::string& tenant_id = context->tenant->id;
  TENANTRY_ASSIGN_OR_RETURN(std::shared_ptr<storage::TenantDatabase> database,
                            tenants.OpenDatabase(tenant_id));
  // gRPC cancels the call when the client goes away or the server's
  // shutdown grace ends; a sync handler learns of it only by asking.
  storage::CallLimits limits;
  limits.deadline = context->deadline;
  limits.is_cancelled = [server_context] {
    return server_context->IsCancelled();
  };
  storage::TenantDatabase limited = database->WithLimits(std::move(limits));
  return handler(TenantCall{*context, tenant_id, &limited});
}

}  // namespace

grpc::Status ServeTenantCall(
    const RequestContextRegistry& contexts, storage::TenantRegistry& tenants,
    const grpc::ServerContext* server_context,
    const std::function<absl::Status(const TenantCall&)>& handler) {
  return ToGrpcStatus(
      RunTenantCall(contexts, tenants, server_context, handler));
}

}  // namespace tenantry::services
