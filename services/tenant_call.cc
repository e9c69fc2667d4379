#include "services/tenant_call.h"

#include <memory>

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
  return handler(TenantCall{*context, tenant_id, database.get()});
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
