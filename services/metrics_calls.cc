#include "services/metrics_calls.h"

#include <glog/logging.h>
#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"

namespace tenantry::services {

absl::string_view GrpcCodeName(grpc::StatusCode code) {
  static constexpr absl::string_view kNames[] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  const int number = static_cast<int>(code);
  if (number < 0 || number >= static_cast<int>(std::size(kNames))) {
    return "UNKNOWN";
  }
  return kNames[number];
}

const std::vector<double>& CallMetrics::LatencyBounds() {
  static const auto* const bounds =
      new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                              0.1,    0.25,  0.5,    1,     2.5,  10,    60};
  return *bounds;
}

CallMetrics::CallMetrics(MetricsRegistry& registry,
                         const std::vector<std::string>& services)
    : calls_(registry.AddCounterFamily(
          "tenantry_grpc_server_calls_total",
          "Finished calls by method and the status code sent.",
          {"service", "method", "code"})),
      errors_(registry.AddCounterFamily(
          "tenantry_grpc_server_errors_total",
          "Finished calls whose status code was not OK.",
          {"service", "method"})),
      latency_(registry.AddHistogramFamily(
          "tenantry_grpc_server_call_duration_seconds",
          "Time from the start of a call at the server to its end, in "
          "seconds.",
          {"service", "method"}, LatencyBounds())) {
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& service_name : services) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(service_name);
    CHECK(service != nullptr)
        << "service " << service_name << " is not linked into this program";
    for (int i = 0; i < service->method_count(); ++i) {
      auto series = std::make_unique<MethodSeries>();
      series->service = service->full_name();
      series->method = service->method(i)->name();
      series->latency = latency_->WithLabels({series->service, series->method});
      series->errors = errors_->WithLabels({series->service, series->method});
      series->calls[grpc::StatusCode::OK] =
          calls_->WithLabels({series->service, series->method,
                              std::string(GrpcCodeName(grpc::StatusCode::OK))});
      methods_[absl::StrCat("/", series->service, "/", series->method)] =
          std::move(series);
    }
  }
}

void CallMetrics::Record(absl::string_view method, grpc::StatusCode code,
                         absl::Duration latency) {
  auto it = methods_.find(method);
  if (it == methods_.end()) return;
  MethodSeries& series = *it->second;
  int number = static_cast<int>(code);
  if (number < 0 || number >= static_cast<int>(kCodes)) {
    number = grpc::StatusCode::UNKNOWN;
  }
  Counter* calls = series.calls[number].load(std::memory_order_acquire);
  if (calls == nullptr) {
    // WithLabels returns the same counter to every thread that races here.
    calls = calls_->WithLabels(
        {series.service, series.method,
         std::string(GrpcCodeName(static_cast<grpc::StatusCode>(number)))});
    series.calls[number].store(calls, std::memory_order_release);
  }
  calls->Increment();
  if (number != grpc::StatusCode::OK) series.errors->Increment();
  series.latency->Observe(absl::ToDoubleSeconds(latency));
}

}  // namespace tenantry::services
