#include "services/server_flags.h"

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on, as host:port. Port 0 picks a free port.");
ABSL_FLAG(std::string, data_dir, "data",
          "Directory for tenant databases (tenants/<id>.db) and the default "
          "shared store (shared.db). Created if missing.");
ABSL_FLAG(std::string, shared_db, "",
          "Shared store for tenants and users: sqlite:PATH, or "
          "postgresql://user:password@host:port/database. Empty means "
          "sqlite:<data_dir>/shared.db.");
ABSL_FLAG(int, shared_db_pool_size, 4,
          "Maximum number of PostgreSQL connections to the shared store.");
ABSL_FLAG(int, tenant_cache_size, 64,
          "Maximum number of tenant databases kept open; the least recently "
          "used one is closed beyond it.");
ABSL_FLAG(int64_t, max_document_bytes, 16 << 20,
          "Largest document content accepted, in bytes.");
ABSL_FLAG(bool, migrate_shared, true,
          "Apply pending shared-store migrations at start. If false, the "
          "server refuses to start on a shared store that is behind.");
ABSL_FLAG(bool, access_log, true,
          "Log one line per call: method, tenant, status code, latency.");
ABSL_FLAG(std::string, synchronous, "FULL",
          "SQLite PRAGMA synchronous for tenant databases: FULL syncs the "
          "write-ahead log on every commit, so an acknowledged write "
          "survives power loss; NORMAL survives a process crash only.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGINT or SIGTERM, how long calls in flight may run before "
          "they are cancelled, for example 10s.");

namespace tenantry::services {

absl::StatusOr<ServerOptions> ServerOptionsFromFlags() {
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.shared_db_url = absl::GetFlag(FLAGS_shared_db);
  const int cache_size = absl::GetFlag(FLAGS_tenant_cache_size);
  if (cache_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tenant_cache_size=", cache_size, " must be at least 1"));
  }
  options.tenant_cache_size = static_cast<size_t>(cache_size);
  const int pool_size = absl::GetFlag(FLAGS_shared_db_pool_size);
  if (pool_size < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--shared_db_pool_size=", pool_size, " must be at least 1"));
  }
  options.shared_db_pool_size = static_cast<size_t>(pool_size);
  options.max_document_bytes = absl::GetFlag(FLAGS_max_document_bytes);
  constexpr int64_t kMaxDocumentBytesLimit = int64_t{1} << 30;
  if (options.max_document_bytes < 0 ||
      options.max_document_bytes > kMaxDocumentBytesLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_document_bytes=", options.max_document_bytes,
                     " must be between 0 and ", kMaxDocumentBytesLimit));
  }
  options.migrate_shared_on_start = absl::GetFlag(FLAGS_migrate_shared);
  options.access_log = absl::GetFlag(FLAGS_access_log);
  options.synchronous = absl::GetFlag(FLAGS_synchronous);
  if (options.synchronous != "FULL" && options.synchronous != "NORMAL") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--synchronous=", options.synchronous, " must be FULL or NORMAL"));
  }
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir must not be empty");
  }
  return options;
}

}  // namespace tenantry::services
