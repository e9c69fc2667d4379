#include "services/server_builder_settings.h"

#include <algorithm>
#include <limits>

namespace tenantry::services {

void ApplyServerBuilderSettings(const ServerBuilderSettings& settings,
                                grpc::ServerBuilder& builder) {
  // gRPC sets SO_REUSEPORT by default, so a second server on a busy port
  // would start and silently take half of the calls.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  using Option = grpc::ServerBuilder::SyncServerOption;
  if (settings.sync_queues > 0) {
    builder.SetSyncServerOption(Option::NUM_CQS, settings.sync_queues);
  }
  if (settings.sync_min_pollers > 0) {
    builder.SetSyncServerOption(Option::MIN_POLLERS, settings.sync_min_pollers);
  }
  if (settings.sync_max_pollers > 0) {
    builder.SetSyncServerOption(Option::MAX_POLLERS, settings.sync_max_pollers);
  }
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(
      settings.max_receive_bytes, std::numeric_limits<int>::max())));
}

}  // namespace tenantry::services
