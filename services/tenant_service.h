#ifndef TENANTRY_SERVICES_TENANT_SERVICE_H_
#define TENANTRY_SERVICES_TENANT_SERVICE_H_

#include "storage/tenant_registry.h"
#include "tenantry/v1/tenant.grpc.pb.h"

namespace tenantry::services {

// tenantry.v1.TenantService: the tenant registry. Thread-safe.
class TenantServiceImpl final : public tenantry::v1::TenantService::Service {
 public:
  // `tenants` must outlive the service.
  explicit TenantServiceImpl(storage::TenantRegistry* tenants)
      : tenants_(tenants) {}

  grpc::Status CreateTenant(grpc::ServerContext* context,
                            const tenantry::v1::CreateTenantRequest* request,
                            tenantry::v1::Tenant* response) override;
  grpc::Status GetTenant(grpc::ServerContext* context,
                         const tenantry::v1::GetTenantRequest* request,
                         tenantry::v1::Tenant* response) override;
  grpc::Status ListTenants(
      grpc::ServerContext* context,
      const tenantry::v1::ListTenantsRequest* request,
      tenantry::v1::ListTenantsResponse* response) override;
  grpc::Status UpdateTenant(grpc::ServerContext* context,
                            const tenantry::v1::UpdateTenantRequest* request,
                            tenantry::v1::Tenant* response) override;
  grpc::Status DeleteTenant(grpc::ServerContext* context,
                            const tenantry::v1::DeleteTenantRequest* request,
                            google::protobuf::Empty* response) override;
  grpc::Status CheckTenantDatabase(
      grpc::ServerContext* context,
      const tenantry::v1::CheckTenantDatabaseRequest* request,
      tenantry::v1::CheckTenantDatabaseResponse* response) override;

 private:
  storage::TenantRegistry* const tenants_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_TENANT_SERVICE_H_
