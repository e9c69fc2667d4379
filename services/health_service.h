#ifndef TENANTRY_SERVICES_HEALTH_SERVICE_H_
#define TENANTRY_SERVICES_HEALTH_SERVICE_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace tenantry::services {

// grpc.health.v1.Health. gRPC's built-in health service keeps Watch
// streams open through a shutdown until the grace period ends; this one
// sends NOT_SERVING and ends them at once. Thread-safe.
class HealthServiceImpl final : public grpc::health::v1::Health::Service {
 public:
  // Sets the status of `service`; "" is the whole server.
  void SetServing(const std::string& service, bool serving);

  // Marks every service NOT_SERVING for good and ends all Watch streams.
  void Shutdown();

  // Returns NOT_FOUND for a service that was never set.
  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;

  // Sends the status, then each change, until shutdown or cancellation.
  // A service that was never set is SERVICE_UNKNOWN.
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>*
                         writer) override;

 private:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  ServingStatus StatusLocked(const std::string& service) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::string, bool> serving_ ABSL_GUARDED_BY(mutex_);
  bool shut_down_ ABSL_GUARDED_BY(mutex_) = false;
  // Incremented on every change, so that Watch notices one.
  int64_t version_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_HEALTH_SERVICE_H_
