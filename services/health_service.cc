#include "services/health_service.h"

#include "absl/time/time.h"
#include "storage/quoting.h"

namespace tenantry::services {
namespace {

using grpc::health::v1::HealthCheckResponse;

// How often a Watch stream checks whether its client went away.
constexpr absl::Duration kWatchPollInterval = absl::Seconds(1);

}  // namespace

void HealthServiceImpl::SetServing(const std::string& service, bool serving) {
  absl::MutexLock lock(&mutex_);
  if (shut_down_) return;
  serving_[service] = serving;
  ++version_;
}

void HealthServiceImpl::Shutdown() {
  absl::MutexLock lock(&mutex_);
  shut_down_ = true;
  ++version_;
}

HealthServiceImpl::ServingStatus HealthServiceImpl::StatusLocked(
    const std::string& service) const {
  auto it = serving_.find(service);
  if (it == serving_.end()) return HealthCheckResponse::SERVICE_UNKNOWN;
  if (shut_down_ || !it->second) return HealthCheckResponse::NOT_SERVING;
  return HealthCheckResponse::SERVING;
}

grpc::Status HealthServiceImpl::Check(
    grpc::ServerContext* context,
    const grpc::health::v1::HealthCheckRequest* request,
    HealthCheckResponse* response) {
  absl::MutexLock lock(&mutex_);
  const ServingStatus status = StatusLocked(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "unknown service " +
                            storage::QuoteForMessage(request->service()) +
                            "; check the name, or use \"\" for the server");
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthServiceImpl::Watch(
    grpc::ServerContext* context,
    const grpc::health::v1::HealthCheckRequest* request,
    grpc::ServerWriter<HealthCheckResponse>* writer) {
  int64_t seen_version = -1;
  while (true) {
    HealthCheckResponse response;
    bool shut_down;
    {
      absl::MutexLock lock(&mutex_);
      const auto changed = [this, seen_version]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                               mutex_) { return version_ != seen_version; };
      mutex_.AwaitWithTimeout(absl::Condition(&changed), kWatchPollInterval);
      if (version_ == seen_version) {
        if (context->IsCancelled()) return grpc::Status::CANCELLED;
        continue;
      }
      seen_version = version_;
      response.set_status(StatusLocked(request->service()));
      shut_down = shut_down_;
    }
    if (!writer->Write(response)) return grpc::Status::CANCELLED;
    if (shut_down) return grpc::Status::OK;
  }
}

}  // namespace tenantry::services
