// empty_server: serves tenantry.bench.EmptyService, whose one method does
// nothing, with the ServerBuilder settings of services/server.cc, until
// SIGINT or SIGTERM. Its throughput and latency are the cost of a gRPC call
// on this machine without Tenantry's interceptor and storage, the baseline
// that bench/run.sh divides Tenantry's numbers by.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <string.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/empty.grpc.pb.h"
#include "services/health_service.h"
#include "services/server_builder_settings.h"

// The default of tenantry_server's --max_request_bytes: twice the default
// --max_document_bytes (4 MiB less 64 KiB) plus 1 MiB.
constexpr int64_t kTenantryDefaultMaxRequestBytes =
    2 * ((int64_t{4} << 20) - (int64_t{64} << 10)) + (int64_t{1} << 20);

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "Address to serve on, as host:port; port 0 picks a free port.");
ABSL_FLAG(int64_t, max_receive_message_bytes, kTenantryDefaultMaxRequestBytes,
          "Largest request message accepted, in bytes. The default equals "
          "tenantry_server's default --max_request_bytes.");
ABSL_FLAG(int, grpc_sync_queues, 0,
          "As tenantry_server's flag: completion queues; 0 keeps gRPC's "
          "default.");
ABSL_FLAG(int, grpc_sync_min_pollers, 0,
          "As tenantry_server's flag; 0 keeps gRPC's default.");
ABSL_FLAG(int, grpc_sync_max_pollers, 0,
          "As tenantry_server's flag; 0 keeps gRPC's default.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGINT or SIGTERM, how long calls in flight may run before "
          "they are cancelled, as in tenantry_server.");

namespace {

class EmptyServiceImpl final : public tenantry::bench::EmptyService::Service {
 public:
  grpc::Status Call(grpc::ServerContext* /*context*/,
                    const google::protobuf::Empty* /*request*/,
                    google::protobuf::Empty* /*response*/) override {
    return grpc::Status::OK;
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves tenantry.bench.EmptyService/Call, which returns at once, with "
      "tenantry_server's gRPC settings.\n"
      "Example: empty_server --listen=127.0.0.1:0");
  absl::ParseCommandLine(argc, argv);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const int64_t max_receive_bytes =
      absl::GetFlag(FLAGS_max_receive_message_bytes);
  if (max_receive_bytes <= 0) {
    std::cerr << "empty_server: --max_receive_message_bytes must be positive, "
                 "not "
              << max_receive_bytes << "\n";
    return EXIT_FAILURE;
  }

  // Block the stop signals in every thread, including the ones gRPC starts,
  // so that sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The same ServerBuilder settings as TenantryServer::Start() in
  // services/server.cc, without TLS, the interceptor and the Tenantry
  // services.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  tenantry::services::ServerBuilderSettings settings;
  settings.sync_queues = absl::GetFlag(FLAGS_grpc_sync_queues);
  settings.sync_min_pollers = absl::GetFlag(FLAGS_grpc_sync_min_pollers);
  settings.sync_max_pollers = absl::GetFlag(FLAGS_grpc_sync_max_pollers);
  settings.max_receive_bytes = max_receive_bytes;
  tenantry::services::ApplyServerBuilderSettings(settings, builder);
  tenantry::services::HealthServiceImpl health_service;
  EmptyServiceImpl empty_service;
  builder.RegisterService(&health_service);
  builder.RegisterService(&empty_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "empty_server: failed to listen on " << listen
              << "; is the address in use or malformed?\n";
    return EXIT_FAILURE;
  }
  health_service.SetServing("", true);
  health_service.SetServing(tenantry::bench::EmptyService::service_full_name(),
                            true);
  std::cerr << "empty_server listening on " << listen << " (port " << port
            << ")" << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  std::cerr << "empty_server: received " << strsignal(signal_number)
            << "; stopping" << std::endl;
  health_service.Shutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server->Wait();
  std::cerr << "empty_server stopped" << std::endl;
  return EXIT_SUCCESS;
}
