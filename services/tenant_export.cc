#include "services/tenant_service.h"

namespace tenantry::services {

grpc::Status TenantServiceImpl::ExportTenant(
    grpc::ServerContext*, const tenantry::v1::ExportTenantRequest*,
    grpc::ServerWriter<tenantry::v1::ExportTenantResponse>*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "ExportTenant");
}

}  // namespace tenantry::services
