#ifndef TENANTRY_SERVICES_METRICS_CALLS_H_
#define TENANTRY_SERVICES_METRICS_CALLS_H_

#include <grpcpp/support/status.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/metrics.h"

namespace tenantry::services {

// Calls, errors and latency per gRPC method, which the tenant interceptor
// records when each call ends:
//   tenantry_grpc_server_calls_total{service, method, code}
//   tenantry_grpc_server_errors_total{service, method}
//   tenantry_grpc_server_call_duration_seconds{service, method} (histogram)
// Every method starts with a zero series for code OK, its errors and its
// histogram; other codes appear when they first occur. Thread-safe, and
// Record() takes no lock after a method's first call with a given code.
class CallMetrics {
 public:
  // Upper bounds of the latency buckets, in seconds. Streams such as a
  // large upload can take a minute.
  static const std::vector<double>& LatencyBounds();

  // Adds the families to `registry` with the methods of `services`, full
  // service names such as tenantry.v1.TenantService, as found in the
  // generated descriptor pool. Aborts if a service is not there.
  CallMetrics(MetricsRegistry& registry,
              const std::vector<std::string>& services);

  // Records one finished call of `method`, as gRPC names it
  // (/tenantry.v1.ProfileService/GetProfile). Calls of other methods, such
  // as health checks and reflection, are not recorded.
  void Record(absl::string_view method, grpc::StatusCode code,
              absl::Duration latency);

 private:
  static constexpr size_t kCodes = 17;

  struct MethodSeries {
    std::string service;
    std::string method;
    Histogram* latency = nullptr;
    Counter* errors = nullptr;
    // Created on the first call with each code.
    std::array<std::atomic<Counter*>, kCodes> calls{};
  };

  CounterFamily* const calls_;
  CounterFamily* const errors_;
  HistogramFamily* const latency_;
  // Filled by the constructor and read-only afterwards, so Record() reads
  // it without a lock.
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> methods_;
};

// Returns the name of `code` as in google/rpc/code.proto, such as
// NOT_FOUND, or UNKNOWN for a number outside 0 to 16.
absl::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_METRICS_CALLS_H_
