// health_check: queries a server's grpc.health.v1 status and exits 0 if
// it is SERVING, 1 otherwise. Used by the container's HEALTHCHECK.

#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051",
          "host:port of the server to check.");
ABSL_FLAG(std::string, service, "",
          "Service to check; empty means the whole server.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(3),
          "How long to wait for the answer, for example 3s.");

int main(int argc, char** argv) {
  // By default absl's --help and --helpshort list only the flags of the
  // file named after argv[0], so a renamed binary would list none.
  const std::string flags_file =
      absl::GetFlagReflectionHandle(FLAGS_address).Filename();
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [flags_file](absl::string_view file) {
    return file == flags_file;
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "Exits 0 if the server reports SERVING.\n"
      "Example: health_check --address=127.0.0.1:50051");
  absl::ParseCommandLine(argc, argv);

  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_address),
                                     grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::GetFlag(FLAGS_timeout)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(absl::GetFlag(FLAGS_service));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);

  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    std::cerr << "health_check: " << absl::GetFlag(FLAGS_address)
              << " answered that it has no such service: "
              << status.error_message() << "\n";
    return EXIT_FAILURE;
  }
  if (!status.ok()) {
    std::cerr << "health_check: " << absl::GetFlag(FLAGS_address)
              << " did not answer: " << status.error_message() << "\n";
    return EXIT_FAILURE;
  }
  const std::string state =
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
          response.status());
  std::cout << state << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING
             ? EXIT_SUCCESS
             : EXIT_FAILURE;
}
