#ifndef TENANTRY_SERVICES_TENANT_SERVICE_H_
#define TENANTRY_SERVICES_TENANT_SERVICE_H_

#include <string>

#include "services/api_keys.h"
#include "services/request_context.h"
#include "services/tenant_call_stats.h"
#include "storage/tenant_registry.h"
#include "tenantry/v1/tenant.grpc.pb.h"

namespace tenantry::services {

// Removes the copies that ExportTenant calls of an earlier process left in
// `data_dir` when that process died mid-export. Call before serving.
void RemoveExportLeftovers(const std::string& data_dir);

// Sets every field of `tenant` from `record`; a record with delete_time
// set becomes a DELETED tenant.
void TenantToProto(const storage::TenantRecord& record,
                   tenantry::v1::Tenant* tenant);

// tenantry.v1.TenantService: the tenant registry and the tenants' API
// keys. Thread-safe.
class TenantServiceImpl final : public tenantry::v1::TenantService::Service {
 public:
  // The pointers must outlive the service. `authenticator` is null when
  // authentication is off.
  TenantServiceImpl(storage::TenantRegistry* tenants,
                    const RequestContextRegistry* contexts,
                    ApiKeyAuthenticator* authenticator,
                    const TenantCallStats* call_stats)
      : tenants_(tenants),
        contexts_(contexts),
        authenticator_(authenticator),
        call_stats_(call_stats) {}

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
                            tenantry::v1::Tenant* response) override;
  grpc::Status UndeleteTenant(
      grpc::ServerContext* context,
      const tenantry::v1::UndeleteTenantRequest* request,
      tenantry::v1::Tenant* response) override;
  grpc::Status GetTenantUsage(
      grpc::ServerContext* context,
      const tenantry::v1::GetTenantUsageRequest* request,
      tenantry::v1::TenantUsage* response) override;
  grpc::Status ExportTenant(
      grpc::ServerContext* context,
      const tenantry::v1::ExportTenantRequest* request,
      grpc::ServerWriter<tenantry::v1::ExportTenantResponse>* writer) override;
  grpc::Status CheckTenantDatabase(
      grpc::ServerContext* context,
      const tenantry::v1::CheckTenantDatabaseRequest* request,
      tenantry::v1::CheckTenantDatabaseResponse* response) override;
  grpc::Status CreateApiKey(grpc::ServerContext* context,
                            const tenantry::v1::CreateApiKeyRequest* request,
                            tenantry::v1::ApiKey* response) override;
  grpc::Status ListApiKeys(
      grpc::ServerContext* context,
      const tenantry::v1::ListApiKeysRequest* request,
      tenantry::v1::ListApiKeysResponse* response) override;
  grpc::Status DeleteApiKey(grpc::ServerContext* context,
                            const tenantry::v1::DeleteApiKeyRequest* request,
                            google::protobuf::Empty* response) override;

 private:
  storage::TenantRegistry* const tenants_;
  const RequestContextRegistry* const contexts_;
  ApiKeyAuthenticator* const authenticator_;
  const TenantCallStats* const call_stats_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_TENANT_SERVICE_H_
