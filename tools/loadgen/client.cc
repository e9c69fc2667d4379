#include "tools/loadgen/client.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace tenantry::loadgen {

gpr_timespec ToGrpcDeadline(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) {
    return gpr_inf_future(GPR_CLOCK_MONOTONIC);
  }
  const int64_t remaining_nanoseconds =
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(
                               deadline - Clock::now())
                               .count());
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_nanos(remaining_nanoseconds, GPR_TIMESPAN));
}

std::vector<std::shared_ptr<grpc::Channel>> CreateChannels(
    const std::string& target, int count) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  channels.reserve(count);
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments arguments;
    // Channels with equal arguments may share a subchannel, and so one TCP
    // connection. A local pool and a distinct argument prevent that.
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetInt("tenantry.loadgen.channel_index", i);
    // GetDocument may return documents up to the server's
    // --max_document_bytes, which can be raised above gRPC's 4 MiB default.
    arguments.SetMaxReceiveMessageSize(-1);
    channels.push_back(grpc::CreateCustomChannel(
        target, grpc::InsecureChannelCredentials(), arguments));
  }
  return channels;
}

absl::Status WaitForChannels(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const std::string& target, Clock::time_point deadline) {
  for (const auto& channel : channels) {
    if (!channel->WaitForConnected(ToGrpcDeadline(deadline))) {
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to --target=", target,
          ". Check that a server listens there and that the address is "
          "host:port"));
    }
  }
  return absl::OkStatus();
}

std::string ApiKeyFromEnvironment() {
  const char* key = std::getenv("TENANTRY_API_KEY");
  return key == nullptr ? std::string() : std::string(key);
}

void AddCallMetadata(grpc::ClientContext& context, const std::string& api_key,
                     absl::string_view tenant_id) {
  if (!api_key.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", api_key));
  }
  if (!tenant_id.empty()) {
    context.AddMetadata("x-tenant-id", std::string(tenant_id));
  }
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return absl::StrCat("CODE_", static_cast<int>(code));
  }
}

std::string DescribeStatus(const grpc::Status& status) {
  return absl::StrCat(StatusCodeName(status.error_code()), ": ",
                      status.error_message());
}

}  // namespace tenantry::loadgen
