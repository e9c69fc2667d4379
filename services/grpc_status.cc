#include "services/grpc_status.h"

#include <optional>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "storage/tenant_usage.h"

namespace tenantry::services {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode both number the canonical codes
  // 0 to 16 the same way.
  const auto code = static_cast<grpc::StatusCode>(status.raw_code());
  std::string message(status.message());

  // Each payload is a serialized google.rpc error detail keyed by its type
  // URL, which is exactly a google.protobuf.Any. gRPC sends the resulting
  // google.rpc.Status in the grpc-status-details-bin trailer.
  google::rpc::Status details;
  status.ForEachPayload(
      [&details](absl::string_view type_url, const absl::Cord& payload) {
        // Storage describes a passed quota without protos; the client gets
        // it as the standard google.rpc.QuotaFailure.
        if (type_url == storage::kQuotaViolationPayloadKey) return;
        google::protobuf::Any* any = details.add_details();
        any->set_type_url(std::string(type_url));
        any->set_value(std::string(payload));
      });
  if (const std::optional<storage::QuotaViolation> violation =
          storage::GetQuotaViolation(status)) {
    google::rpc::QuotaFailure quota_failure;
    google::rpc::QuotaFailure::Violation* detail =
        quota_failure.add_violations();
    detail->set_subject(violation->subject);
    detail->set_description(violation->description);
    details.add_details()->PackFrom(quota_failure);
  }
  if (details.details_size() == 0) return grpc::Status(code, message);
  details.set_code(status.raw_code());
  details.set_message(message);
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace tenantry::services
