#ifndef TENANTRY_SERVICES_GRPC_STATUS_H_
#define TENANTRY_SERVICES_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace tenantry::services {

// Converts a storage or validation status into the gRPC status sent to the
// client. The canonical codes are the same in both; this is the only place
// where the conversion happens.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Runs the body of a handler that reports errors as absl::Status and
// returns its status for gRPC.
template <typename Body>
grpc::Status ServeCall(Body&& body) {
  return ToGrpcStatus(body());
}

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_GRPC_STATUS_H_
