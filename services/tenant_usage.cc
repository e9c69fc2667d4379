#include "services/tenant_service.h"

namespace tenantry::services {

grpc::Status TenantServiceImpl::GetTenantUsage(
    grpc::ServerContext*, const tenantry::v1::GetTenantUsageRequest*,
    tenantry::v1::TenantUsage*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "GetTenantUsage");
}

}  // namespace tenantry::services
