#include "services/server_flags.h"

#include <cstdint>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to serve gRPC on, as host:port with a port from 0 to "
          "65535, for example 127.0.0.1:50051 or [::1]:50051. Port 0 picks "
          "a free port.");
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
ABSL_FLAG(int64_t, max_document_bytes, (4 << 20) - (64 << 10),
          "Largest document content accepted, in bytes. The default keeps a "
          "GetDocument response within the 4 MiB that gRPC clients accept "
          "by default; raise the clients' limit with this one.");
ABSL_FLAG(bool, migrate_shared, true,
          "Apply pending shared-store migrations at start. If false, the "
          "server refuses to start on a shared store that is behind.");
ABSL_FLAG(bool, access_log, true,
          "Log one line per call: method, tenant, status code, latency.");
ABSL_FLAG(std::string, synchronous, "FULL",
          "SQLite PRAGMA synchronous for tenant databases: FULL syncs the "
          "write-ahead log on every commit, so an acknowledged write "
          "survives power loss; NORMAL survives a process crash only.");
ABSL_FLAG(bool, allow_unauthenticated, false,
          "Serve every call without checking API keys. For development "
          "only: the server logs a warning at start. Without this flag the "
          "server needs an admin key in $TENANTRY_ADMIN_KEY or "
          "--admin_key_file.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGINT or SIGTERM, how long calls in flight may run before "
          "they are cancelled, for example 10s. 0s cancels them at once.");

namespace tenantry::services {
namespace {

// Returns why `address` is not host:port with a port from 0 to 65535, or
// "" if it is. gRPC 1.51 serves on such an address without an error: it
// binds port 34463 for port 99999 (the port modulo 65536) and port 443
// when the port is missing.
std::string ListenAddressProblem(absl::string_view address) {
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    if (close == absl::string_view::npos) {
      return "the ] after the host is missing";
    }
    host = address.substr(1, close - 1);
    const absl::string_view rest = address.substr(close + 1);
    if (!absl::StartsWith(rest, ":")) return "the port is missing";
    port = rest.substr(1);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos) return "the port is missing";
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (absl::StrContains(host, ':')) {
      return "an IPv6 host must be in brackets";
    }
  }
  if (host.empty()) return "the host is missing";
  if (port.empty()) return "the port is missing";
  for (const char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::StrCat("port ", port, " is not a number");
    }
  }
  int64_t port_number = 0;
  // Only digits remain, so a failed parse means an overflow.
  if (!absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return absl::StrCat("port ", port, " is out of range");
  }
  return "";
}

}  // namespace

absl::StatusOr<ServerOptions> ServerOptionsFromFlags() {
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  const std::string listen_problem =
      ListenAddressProblem(options.listen_address);
  if (!listen_problem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen=", options.listen_address,
                     " is invalid because ", listen_problem,
                     ". Use host:port with a port from 0 to 65535, for example "
                     "127.0.0.1:50051 or [::1]:50051"));
  }

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
  options.allow_unauthenticated = absl::GetFlag(FLAGS_allow_unauthenticated);
  if (options.synchronous != "FULL" && options.synchronous != "NORMAL") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--synchronous=", options.synchronous, " must be FULL or NORMAL"));
  }

  // main() reads the flag itself at shutdown, so this only checks it.
  const absl::Duration shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  if (shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shutdown_grace=", absl::FormatDuration(shutdown_grace),
                     " must not be negative. Use 0s to cancel the calls in "
                     "flight at once"));
  }

  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir must not be empty");
  }
  return options;
}

}  // namespace tenantry::services
