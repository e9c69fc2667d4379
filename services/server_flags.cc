#include "services/server_flags.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "storage/status_macros.h"

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
ABSL_FLAG(int, tenant_page_cache_kib, 512,
          "SQLite page cache of each tenant database connection, in KiB. An "
          "open tenant has up to two connections (one writes, one reads), so "
          "the page caches take at most 2 x this x --tenant_cache_size.");
ABSL_FLAG(int64_t, max_document_bytes, (4 << 20) - (64 << 10),
          "Largest document content accepted, in bytes. The default keeps a "
          "GetDocument response within the 4 MiB that gRPC clients accept "
          "by default; raise the clients' limit with this one.");
ABSL_FLAG(int64_t, document_inline_max_bytes, 256 << 10,
          "Document content of at most this many bytes is stored in the "
          "document's row; larger content is stored in chunks of "
          "--document_chunk_bytes, so that reading or writing it holds one "
          "chunk in memory at a time. From 0 to 64 MiB.");
ABSL_FLAG(int64_t, document_chunk_bytes, 1 << 20,
          "Chunk size of stored document content and of DownloadDocument "
          "messages, in bytes, and the largest chunk an UploadDocument "
          "message may carry. From 1 KiB to 64 MiB; the server warns at "
          "start if --max_request_bytes leaves no room for a full chunk.");
ABSL_FLAG(int64_t, max_upload_bytes, int64_t{1} << 30,
          "Largest document content that UploadDocument accepts, in bytes.");
ABSL_FLAG(bool, migrate_shared, true,
          "Apply pending shared-store migrations at start. If false, the "
          "server refuses to start on a shared store that is behind.");
ABSL_FLAG(int, grpc_sync_queues, 0,
          "Completion queues of gRPC's synchronous server; 0 keeps gRPC's "
          "default of 1. bench/README.md shows the effect.");
ABSL_FLAG(int, grpc_sync_min_pollers, 0,
          "Minimum threads polling each completion queue; 0 keeps gRPC's "
          "default of 1.");
ABSL_FLAG(int, grpc_sync_max_pollers, 0,
          "Maximum threads polling each completion queue; 0 keeps gRPC's "
          "default of 2.");
ABSL_FLAG(bool, access_log, true,
          "Log one line per call: method, tenant, status code, latency.");
ABSL_FLAG(std::string, synchronous, "FULL",
          "SQLite PRAGMA synchronous for tenant databases. FULL syncs the "
          "write-ahead log on every commit, so an acknowledged write "
          "survives power loss if the disk honours fsync. NORMAL keeps "
          "acknowledged writes across a crash of the process but may lose "
          "the last ones on power loss or an OS crash.");
ABSL_FLAG(bool, allow_unauthenticated, false,
          "Serve every call without checking API keys. For development "
          "only: the server logs a warning at start. Without this flag the "
          "server needs an admin key in $TENANTRY_ADMIN_KEY or "
          "--admin_key_file.");
ABSL_FLAG(std::string, admin_key_file, "",
          "File whose content (one line) is the admin key, which may call "
          "every method. The environment variable TENANTRY_ADMIN_KEY is the "
          "alternative; set one of them. The key is never a flag, so that it "
          "does not show in the process list.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain to serve TLS with; needs --tls_key_file. "
          "Empty serves plaintext.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(int64_t, max_request_bytes, 0,
          "Largest request message accepted, in bytes; a larger one fails "
          "with RESOURCE_EXHAUSTED. 0 means twice --max_document_bytes (or "
          "--document_chunk_bytes if that is larger) plus 1 MiB, so that a "
          "document or chunk somewhat over its limit reaches the server's "
          "check, whose message names the field and the flag.");
ABSL_FLAG(absl::Duration, tenant_retention, absl::Hours(168),
          "How long DeleteTenant keeps a deleted tenant and its data before "
          "the purge removes them, for example 168h; UndeleteTenant restores "
          "the tenant until then. Request ids of CreateTenant and CreateUser "
          "are kept this long too. Must be positive.");
ABSL_FLAG(absl::Duration, purge_interval, absl::Hours(1),
          "How often the server purges deleted tenants whose retention has "
          "passed and request ids older than --tenant_retention, for example "
          "1h; the first round runs at start. 0 turns the sweep off, leaving "
          "purges to `tenantctl purge`.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGINT or SIGTERM, how long calls in flight may run before "
          "they are cancelled, for example 10s. 0s cancels them at once.");
ABSL_FLAG(std::string, metrics_listen, "",
          "Address to serve Prometheus metrics on, as host:port, for example "
          "127.0.0.1:9464: GET /metrics returns the text format 0.0.4 over "
          "plain HTTP, without authentication. Port 0 picks a free port. "
          "Empty (the default) turns the endpoint off.");
ABSL_FLAG(int, metrics_top_tenants, 20,
          "How many tenants get series of their own at /metrics: the ones "
          "with the most calls in the last hour, from 0 to 1000.");

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

// Returns the whole content of `path`, or an error naming `flag`.
absl::StatusOr<std::string> ReadFileForFlag(absl::string_view flag,
                                            const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", path,
        error ? absl::StrCat(" cannot be opened: ", error.message())
              : std::string(" is not a regular file"),
        "; point it at the file itself"));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", path, " cannot be opened: ", std::strerror(errno)));
  }
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", path, " cannot be read: ", std::strerror(errno)));
  }
  return content.str();
}

// Returns the admin key from TENANTRY_ADMIN_KEY or --admin_key_file, or ""
// if neither is set.
absl::StatusOr<std::string> ReadAdminKey() {
  const char* environment = std::getenv("TENANTRY_ADMIN_KEY");
  const std::string path = absl::GetFlag(FLAGS_admin_key_file);
  if (environment != nullptr && *environment != '\0' && !path.empty()) {
    return absl::InvalidArgumentError(
        "both TENANTRY_ADMIN_KEY and --admin_key_file are set; set one");
  }
  // An empty variable, as compose files and unit files often declare,
  // counts as unset.
  if (environment != nullptr && *environment != '\0') {
    return std::string(environment);
  }
  if (path.empty()) return std::string();
  TENANTRY_ASSIGN_OR_RETURN(std::string key,
                            ReadFileForFlag("admin_key_file", path));
  // A file written by `echo` or an editor ends with a newline.
  absl::StripTrailingAsciiWhitespace(&key);
  if (key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--admin_key_file=", path,
        " is empty; write the key into it, for example with: openssl rand "
        "-hex 32 > ",
        path));
  }
  return key;
}

absl::Status ReadTlsFiles(ServerOptions& options) {
  const std::string cert_path = absl::GetFlag(FLAGS_tls_cert_file);
  const std::string key_path = absl::GetFlag(FLAGS_tls_key_file);
  if (cert_path.empty() != key_path.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file must be set together, or "
        "neither for plaintext");
  }
  if (cert_path.empty()) return absl::OkStatus();
  TENANTRY_ASSIGN_OR_RETURN(options.tls_cert_pem,
                            ReadFileForFlag("tls_cert_file", cert_path));
  TENANTRY_ASSIGN_OR_RETURN(options.tls_key_pem,
                            ReadFileForFlag("tls_key_file", key_path));
  return absl::OkStatus();
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

  options.metrics_listen_address = absl::GetFlag(FLAGS_metrics_listen);
  if (!options.metrics_listen_address.empty()) {
    const std::string metrics_problem =
        ListenAddressProblem(options.metrics_listen_address);
    if (!metrics_problem.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--metrics_listen=", options.metrics_listen_address,
          " is invalid because ", metrics_problem,
          ". Use host:port with a port from 0 to 65535, for example "
          "127.0.0.1:9464, or leave it empty to turn the metrics endpoint "
          "off"));
    }
  }
  const int metrics_top_tenants = absl::GetFlag(FLAGS_metrics_top_tenants);
  if (metrics_top_tenants < 0 || metrics_top_tenants > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_top_tenants=", metrics_top_tenants,
                     " must be between 0 and 1000"));
  }
  options.metrics_top_tenants = static_cast<size_t>(metrics_top_tenants);

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
  options.tenant_page_cache_kib = absl::GetFlag(FLAGS_tenant_page_cache_kib);
  if (options.tenant_page_cache_kib < 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tenant_page_cache_kib=", options.tenant_page_cache_kib,
                     " must be at least 16"));
  }
  options.max_document_bytes = absl::GetFlag(FLAGS_max_document_bytes);
  constexpr int64_t kMaxDocumentBytesLimit = int64_t{1} << 30;
  if (options.max_document_bytes < 0 ||
      options.max_document_bytes > kMaxDocumentBytesLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_document_bytes=", options.max_document_bytes,
                     " must be between 0 and ", kMaxDocumentBytesLimit));
  }
  // TenantryServer::Start checks the ranges of these three.
  options.document_inline_max_bytes =
      absl::GetFlag(FLAGS_document_inline_max_bytes);
  options.document_chunk_bytes = absl::GetFlag(FLAGS_document_chunk_bytes);
  options.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  options.migrate_shared_on_start = absl::GetFlag(FLAGS_migrate_shared);
  options.access_log = absl::GetFlag(FLAGS_access_log);
  options.sync_server_queues = absl::GetFlag(FLAGS_grpc_sync_queues);
  options.sync_server_min_pollers = absl::GetFlag(FLAGS_grpc_sync_min_pollers);
  options.sync_server_max_pollers = absl::GetFlag(FLAGS_grpc_sync_max_pollers);
  for (const auto& [flag, value] :
       {std::pair<const char*, int>{"grpc_sync_queues",
                                    options.sync_server_queues},
        {"grpc_sync_min_pollers", options.sync_server_min_pollers},
        {"grpc_sync_max_pollers", options.sync_server_max_pollers}}) {
    if (value < 0 || value > 256) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, "=", value,
                       " must be between 0 (gRPC's default) and 256"));
    }
  }
  options.synchronous = absl::GetFlag(FLAGS_synchronous);
  options.allow_unauthenticated = absl::GetFlag(FLAGS_allow_unauthenticated);
  TENANTRY_ASSIGN_OR_RETURN(options.admin_key, ReadAdminKey());
  TENANTRY_RETURN_IF_ERROR(ReadTlsFiles(options));
  options.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  if (options.max_request_bytes < 0 ||
      options.max_request_bytes > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_request_bytes=", options.max_request_bytes,
                     " must be between 0 (the default) and ",
                     std::numeric_limits<int>::max()));
  }
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

  options.tenant_retention = absl::GetFlag(FLAGS_tenant_retention);
  if (options.tenant_retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tenant_retention=", absl::FormatDuration(options.tenant_retention),
        " must be positive, for example 168h for a week"));
  }
  options.purge_interval = absl::GetFlag(FLAGS_purge_interval);
  if (options.purge_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--purge_interval=", absl::FormatDuration(options.purge_interval),
        " must not be negative. Use 0 to turn the purge sweep off"));
  }

  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir must not be empty");
  }
  return options;
}

}  // namespace tenantry::services
