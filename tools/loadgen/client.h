// gRPC client plumbing shared by `loadgen prepare` and `loadgen run`.

#ifndef TENANTRY_TOOLS_LOADGEN_CLIENT_H_
#define TENANTRY_TOOLS_LOADGEN_CLIENT_H_

#include <grpc/support/time.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tenantry::loadgen {

using Clock = std::chrono::steady_clock;

// Converts a steady-clock time point to a gRPC deadline. gRPC 1.51 takes
// only gpr_timespec and system_clock time points, and a system_clock
// deadline moves when the wall clock is set.
gpr_timespec ToGrpcDeadline(Clock::time_point deadline);

// Creates `count` channels to `target`. Each channel has its own subchannel
// pool and a distinct channel argument, so each opens its own HTTP/2
// connection instead of sharing one.
std::vector<std::shared_ptr<grpc::Channel>> CreateChannels(
    const std::string& target, int count);

// Waits until every channel is connected. Fails with UNAVAILABLE, naming
// the target, if one is not connected by `deadline`.
absl::Status WaitForChannels(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const std::string& target, Clock::time_point deadline);

// Returns the value of TENANTRY_API_KEY, or "" if it is unset.
std::string ApiKeyFromEnvironment();

// Adds `authorization: Bearer <api_key>` unless `api_key` is empty, and
// `x-tenant-id: <tenant_id>` unless `tenant_id` is empty.
void AddCallMetadata(grpc::ClientContext& context, const std::string& api_key,
                     absl::string_view tenant_id);

// Returns the canonical name of a gRPC status code, such as NOT_FOUND.
std::string StatusCodeName(grpc::StatusCode code);

// Returns "CODE: message" for a failed call.
std::string DescribeStatus(const grpc::Status& status);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_CLIENT_H_
