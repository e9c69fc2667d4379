#ifndef TENANTRY_SERVICES_REQUEST_CONTEXT_H_
#define TENANTRY_SERVICES_REQUEST_CONTEXT_H_

#include <grpcpp/server_context.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/grpc_status.h"
#include "storage/records.h"

namespace tenantry::services {

// The facts about a call that the server gathers before its handler runs. Built
// once per call by the tenant interceptor from the request metadata; handlers
// read this instead of metadata.
struct RequestContext {
  // The full method name, for example `/tenantry.v1.ProfileService/GetProfile`.
  std::string method;
  // Whether the method belongs to a tenant-scoped service.
  bool tenant_scoped = false;
  // The tenant of a tenant-scoped call, if it resolved.
  std::optional<storage::TenantRecord> tenant;
  // Why the tenant did not resolve: INVALID_ARGUMENT, NOT_FOUND or
  // FAILED_PRECONDITION. OK when `tenant` is set or the call is not
  // tenant-scoped.
  absl::Status tenant_status;
  // Whether the call's API key may call this method: OK, UNAUTHENTICATED,
  // PERMISSION_DENIED, or UNAVAILABLE when the key could not be looked up.
  // Always OK when authentication is off. For a tenant-scoped call an error
  // here is also in `tenant_status`, and the tenant is not resolved.
  absl::Status auth_status;
  // The client's deadline, or absl::InfiniteFuture().
  absl::Time deadline = absl::InfiniteFuture();
};

// Flags and counters of the calls in flight, shared by the server and the
// interceptor.
struct CallTracker {
  // Set when the server begins to stop; new calls then get UNAVAILABLE.
  std::atomic<bool> stopping{false};
  // tenantry.v1 calls admitted before the stop whose interceptor exists.
  std::atomic<int64_t> in_flight{0};
};

// Hands each call's RequestContext from the interceptor to the handler,
// keyed by the call's ServerContext. Thread-safe.
class RequestContextRegistry {
 public:
  void Put(const grpc::ServerContextBase* call,
           std::shared_ptr<const RequestContext> context);
  void Remove(const grpc::ServerContextBase* call);

  // Returns INTERNAL if no context was registered for the call, which means
  // the interceptor is not installed.
  absl::StatusOr<std::shared_ptr<const RequestContext>> Get(
      const grpc::ServerContextBase* call) const;

 private:
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<const grpc::ServerContextBase*,
                      std::shared_ptr<const RequestContext>>
      contexts_ ABSL_GUARDED_BY(mutex_);
};

// Runs `body`, the handler of a method that is not tenant-scoped, once the
// call's API key is found to allow it, and converts its status for gRPC.
template <typename Body>
grpc::Status ServeAuthorizedCall(const RequestContextRegistry& contexts,
                                 const grpc::ServerContextBase* call,
                                 Body&& body) {
  absl::StatusOr<std::shared_ptr<const RequestContext>> context =
      contexts.Get(call);
  if (!context.ok()) return ToGrpcStatus(context.status());
  if (!(*context)->auth_status.ok()) {
    return ToGrpcStatus((*context)->auth_status);
  }
  return ToGrpcStatus(body());
}

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_REQUEST_CONTEXT_H_
