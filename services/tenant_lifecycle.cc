// TenantService.UndeleteTenant. DeleteTenant, which soft-deletes, is in
// tenant_service.cc with the other standard methods.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "services/etag.h"
#include "services/grpc_status.h"
#include "services/resource_names.h"
#include "services/tenant_service.h"
#include "storage/status_macros.h"

namespace tenantry::services {

grpc::Status TenantServiceImpl::UndeleteTenant(
    grpc::ServerContext* context,
    const tenantry::v1::UndeleteTenantRequest* request,
    tenantry::v1::Tenant* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantName("name", request->name()));
    TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                              ParseEtag("etag", request->etag()));
    TENANTRY_ASSIGN_OR_RETURN(const storage::TenantRecord restored,
                              tenants_->Undelete(id, etag));
    TenantToProto(restored, response);
    return absl::OkStatus();
  });
}

}  // namespace tenantry::services
