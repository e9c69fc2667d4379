#ifndef TENANTRY_SERVICES_SERVER_BUILDER_SETTINGS_H_
#define TENANTRY_SERVICES_SERVER_BUILDER_SETTINGS_H_

#include <grpcpp/server_builder.h>

#include <cstdint>

namespace tenantry::services {

// The gRPC server settings that tenantry_server and the benchmark's empty
// server share, so that the benchmark compares like with like.
struct ServerBuilderSettings {
  // Completion queues of the synchronous server and the minimum and
  // maximum threads polling each one; 0 keeps gRPC's default.
  int sync_queues = 0;
  int sync_min_pollers = 0;
  int sync_max_pollers = 0;
  // Largest request message accepted, in bytes.
  int64_t max_receive_bytes = 4 << 20;
};

// Applies `settings` to `builder` and turns SO_REUSEPORT off.
void ApplyServerBuilderSettings(const ServerBuilderSettings& settings,
                                grpc::ServerBuilder& builder);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_SERVER_BUILDER_SETTINGS_H_
