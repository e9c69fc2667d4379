#ifndef TENANTRY_SERVICES_TENANT_INTERCEPTOR_H_
#define TENANTRY_SERVICES_TENANT_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include "absl/strings/string_view.h"
#include "services/request_context.h"
#include "storage/tenant_registry.h"

namespace tenantry::services {

// The metadata key that names the tenant of a call. Matched ignoring
// letter case, so `X-Tenant-ID` works too.
inline constexpr absl::string_view kTenantMetadataKey = "x-tenant-id";

// Returns whether calls to `method` (for example
// `/tenantry.v1.ProfileService/GetProfile`) need a tenant.
bool IsTenantScopedMethod(absl::string_view method);

// Creates one interceptor per call. The interceptor builds the call's
// RequestContext after the initial metadata arrives: for tenant-scoped
// methods it reads `x-tenant-id` and resolves the tenant through the
// registry. When the call ends it removes the context and, if enabled,
// writes one access-log line with method, tenant, status code and latency.
// Thread-safe.
class TenantInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Both pointers must outlive the server.
  TenantInterceptorFactory(storage::TenantRegistry* tenants,
                           RequestContextRegistry* contexts, bool access_log)
      : tenants_(tenants), contexts_(contexts), access_log_(access_log) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  storage::TenantRegistry* const tenants_;
  RequestContextRegistry* const contexts_;
  const bool access_log_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_TENANT_INTERCEPTOR_H_
