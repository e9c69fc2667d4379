#include "services/request_context.h"

#include <utility>

namespace tenantry::services {

void RequestContextRegistry::Put(
    const grpc::ServerContextBase* call,
    std::shared_ptr<const RequestContext> context) {
  absl::MutexLock lock(&mutex_);
  contexts_[call] = std::move(context);
}

void RequestContextRegistry::Remove(const grpc::ServerContextBase* call) {
  absl::MutexLock lock(&mutex_);
  contexts_.erase(call);
}

absl::StatusOr<std::shared_ptr<const RequestContext>>
RequestContextRegistry::Get(const grpc::ServerContextBase* call) const {
  absl::MutexLock lock(&mutex_);
  auto it = contexts_.find(call);
  if (it == contexts_.end()) {
    return absl::InternalError(
        "no request context for this call; the tenant interceptor is not "
        "installed on the server");
  }
  return it->second;
}

}  // namespace tenantry::services
