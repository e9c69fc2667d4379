#ifndef TENANTRY_SERVICES_TENANT_INTERCEPTOR_H_
#define TENANTRY_SERVICES_TENANT_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include "absl/strings/string_view.h"
#include "services/api_keys.h"
#include "services/metrics_calls.h"
#include "services/request_context.h"
#include "services/tenant_call_stats.h"
#include "storage/tenant_registry.h"

namespace tenantry::services {

// The metadata key that names the tenant of a call. Matched ignoring
// letter case, so `X-Tenant-ID` works too.
inline constexpr absl::string_view kTenantMetadataKey = "x-tenant-id";

// Returns whether calls to `method` (for example
// `/tenantry.v1.ProfileService/GetProfile`) need a tenant.
bool IsTenantScopedMethod(absl::string_view method);

// Creates one interceptor per call. The interceptor builds the call's
// RequestContext after the initial metadata arrives. For tenantry.v1
// methods it checks the API key, unless authentication is off; health
// checks and reflection need no key. For tenant-scoped methods it then
// reads `x-tenant-id` and resolves the tenant through the registry. When the
// call ends it removes the context, records the call in the call metrics and,
// for a resolved tenant, in the tenant's call stats, and, if enabled, writes
// one access-log line with method, tenant, status code and latency.
// Thread-safe.
class TenantInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // The pointers must outlive the server. A null `authenticator` turns
  // authentication off. `calls` counts the tenantry.v1 calls in flight;
  // once it is stopping, new ones get UNAVAILABLE before their handler
  // runs. A null `call_stats` or `call_metrics` records nothing there.
  TenantInterceptorFactory(storage::TenantRegistry* tenants,
                           RequestContextRegistry* contexts,
                           ApiKeyAuthenticator* authenticator,
                           CallTracker* calls, bool access_log,
                           TenantCallStats* call_stats = nullptr,
                           CallMetrics* call_metrics = nullptr)
      : tenants_(tenants),
        contexts_(contexts),
        authenticator_(authenticator),
        calls_(calls),
        access_log_(access_log),
        call_stats_(call_stats),
        call_metrics_(call_metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  storage::TenantRegistry* const tenants_;
  RequestContextRegistry* const contexts_;
  ApiKeyAuthenticator* const authenticator_;
  CallTracker* const calls_;
  const bool access_log_;
  TenantCallStats* const call_stats_;
  CallMetrics* const call_metrics_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_TENANT_INTERCEPTOR_H_
