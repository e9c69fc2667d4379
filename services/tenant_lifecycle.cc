#include "services/tenant_service.h"

namespace tenantry::services {

grpc::Status TenantServiceImpl::UndeleteTenant(
    grpc::ServerContext*, const tenantry::v1::UndeleteTenantRequest*,
    tenantry::v1::Tenant*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "UndeleteTenant");
}

}  // namespace tenantry::services
