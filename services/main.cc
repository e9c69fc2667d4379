// tenantry_server: serves the Tenantry gRPC API until SIGINT or SIGTERM.

#include <glog/logging.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "services/server.h"
#include "services/server_flags.h"

int main(int argc, char** argv) {
  // By default absl's --help and --helpshort list only the flags of the
  // file named after argv[0], and the server's flags are in
  // server_flags.cc, so they would list none.
  const std::string flags_file =
      absl::GetFlagReflectionHandle(FLAGS_listen).Filename();
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [flags_file](absl::string_view file) {
    return file == flags_file;
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "Serves the Tenantry gRPC API.\n"
      "Example: tenantry_server --listen=127.0.0.1:50051 --data_dir=data");
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  // Debian's Abseil 20220623 checks every Mutex acquisition for lock-order
  // cycles, which took about 3 % of the server's CPU under load in
  // bench/README.md's profile.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::StatusOr<tenantry::services::ServerOptions> options =
      tenantry::services::ServerOptionsFromFlags();
  if (!options.ok()) {
    std::cerr << "tenantry_server: " << options.status().message() << "\n";
    return EXIT_FAILURE;
  }

  // Block the stop signals in every thread, including the ones gRPC starts,
  // so that sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::StatusOr<std::unique_ptr<tenantry::services::TenantryServer>> server =
      tenantry::services::TenantryServer::Start(*options);
  if (!server.ok()) {
    LOG(ERROR) << "failed to start: " << server.status();
    return EXIT_FAILURE;
  }
  LOG(INFO) << "tenantry_server listening on " << options->listen_address
            << " (port " << (*server)->port() << "), data in "
            << options->data_dir;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  LOG(INFO) << "received " << strsignal(signal_number)
            << "; stopping, waiting up to " << absl::FormatDuration(grace)
            << " for calls in flight";
  (*server)->Shutdown(grace);
  (*server)->Wait();
  LOG(INFO) << "tenantry_server stopped";
  return EXIT_SUCCESS;
}
