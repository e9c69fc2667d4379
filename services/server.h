#ifndef TENANTRY_SERVICES_SERVER_H_
#define TENANTRY_SERVICES_SERVER_H_

#include <grpcpp/server.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/api_keys.h"
#include "services/document_service.h"
#include "services/health_service.h"
#include "services/metrics.h"
#include "services/metrics_calls.h"
#include "services/metrics_http.h"
#include "services/profile_service.h"
#include "services/request_context.h"
#include "services/tenant_call_stats.h"
#include "services/tenant_service.h"
#include "services/user_service.h"
#include "storage/shared_store.h"
#include "storage/tenant_cache.h"
#include "storage/tenant_registry.h"

namespace tenantry::services {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port.
  std::string listen_address = "127.0.0.1:50051";
  // Holds tenants/<id>.db and, by default, shared.db.
  std::string data_dir = "data";
  // `sqlite:PATH` or `postgresql://user:password@host:port/database`;
  // empty means `sqlite:<data_dir>/shared.db`.
  std::string shared_db_url;
  // Maximum number of PostgreSQL connections of the shared store.
  size_t shared_db_pool_size = 4;
  // Maximum number of tenant databases kept open.
  size_t tenant_cache_size = 64;
  // SQLite page cache of each tenant database connection, in KiB. Each
  // open tenant has up to two connections: one writes, one reads.
  int tenant_page_cache_kib = 512;
  // Largest document content accepted, in bytes. The default leaves room
  // for the other fields within the 4 MiB that gRPC clients receive by
  // default.
  int64_t max_document_bytes = (4 << 20) - (64 << 10);
  // Document content of at most this many bytes is stored in the
  // documents row; larger content in chunks of `document_chunk_bytes`.
  int64_t document_inline_max_bytes = 256 << 10;
  // The chunk size of stored content, of DownloadDocument messages and the
  // largest chunk of an UploadDocument message.
  int64_t document_chunk_bytes = 1 << 20;
  // The largest document that UploadDocument accepts, in bytes.
  int64_t max_upload_bytes = int64_t{1} << 30;
  // Whether to apply pending shared migrations at start; if false, a
  // shared store that is behind stops the start.
  bool migrate_shared_on_start = true;
  // gRPC's synchronous server: completion queues and the minimum and
  // maximum number of threads that poll each one for new calls. 0 keeps
  // gRPC's default (1 queue, 1 to 2 pollers).
  int sync_server_queues = 0;
  int sync_server_min_pollers = 0;
  int sync_server_max_pollers = 0;
  // Whether to log one line per call.
  bool access_log = true;
  // PRAGMA synchronous for tenant databases: FULL or NORMAL.
  std::string synchronous = "FULL";
  // The key that may call every method, sent as `authorization: Bearer
  // <key>`. Empty means no admin key.
  std::string admin_key;
  // PEM certificate chain and private key to serve TLS with; both empty
  // means plaintext.
  std::string tls_cert_pem;
  std::string tls_key_pem;
  // Largest request message accepted, in bytes; 0 means twice
  // `max_document_bytes`, or `document_chunk_bytes` if that is larger,
  // plus 1 MiB.
  int64_t max_request_bytes = 0;
  // Serve every call without a key. Without it, a server with no admin key
  // refuses to start. For development only.
  bool allow_unauthenticated = false;
  // host:port to serve Prometheus metrics on at GET /metrics, over plain
  // HTTP; port 0 picks a free port. Empty turns the endpoint off.
  std::string metrics_listen_address;
  // Tenants with series of their own at /metrics: the ones with the most
  // calls in the last hour.
  size_t metrics_top_tenants = 20;
  // How long a soft-deleted tenant and a create's request_id are kept
  // before the purge removes them. Must be positive.
  absl::Duration tenant_retention = storage::TenantRegistry::kDefaultRetention;
  // How often the purge sweep runs, first right after the start; zero
  // turns it off.
  absl::Duration purge_interval = absl::Hours(1);
};

// The Tenantry gRPC server with all four services, health checking and
// reflection. Thread-safe.
class TenantryServer {
 public:
  // Opens the stores, applies shared migrations if enabled, and starts
  // listening. Returns the error of the first step that fails.
  static absl::StatusOr<std::unique_ptr<TenantryServer>> Start(
      const ServerOptions& options);

  ~TenantryServer();

  // The port the server listens on.
  int port() const { return port_; }

  // The port of the metrics endpoint, or 0 if it is off.
  int metrics_port() const {
    return metrics_http_ != nullptr ? metrics_http_->port() : 0;
  }

  // Rejects new calls with UNAVAILABLE, marks health NOT_SERVING, waits up
  // to `grace` for calls in flight, then stops gRPC and cancels the calls
  // still running.
  void Shutdown(absl::Duration grace);

  // Blocks until the server has shut down.
  void Wait();

  storage::TenantRegistry& tenants() { return *tenants_; }

 private:
  TenantryServer() = default;

  // Creates the authenticator, or logs that authentication is off.
  absl::Status SetUpAuthentication(const ServerOptions& options);

  // Creates the metrics registry and starts the metrics endpoint, if
  // options.metrics_listen_address is set.
  absl::Status StartMetrics(const ServerOptions& options);

  // Runs a purge round every `interval` until stop_purge_ is notified.
  void RunPurgeSweep(absl::Duration interval);
  // Purges the soft-deleted tenants that are due and logs what it did.
  void PurgeOnce();
  // Ends the purge sweep and waits for it; a round in progress stops
  // before its next tenant. Safe to call more than once.
  void StopPurgeSweep();

  std::unique_ptr<storage::SharedStore> shared_store_;
  std::unique_ptr<storage::TenantCache> cache_;
  std::unique_ptr<storage::TenantRegistry> tenants_;
  std::unique_ptr<RequestContextRegistry> contexts_;
  std::unique_ptr<TenantCallStats> call_stats_;
  // Null when authentication is off.
  std::unique_ptr<ApiKeyAuthenticator> authenticator_;
  std::unique_ptr<TenantServiceImpl> tenant_service_;
  std::unique_ptr<UserServiceImpl> user_service_;
  std::unique_ptr<ProfileServiceImpl> profile_service_;
  std::unique_ptr<DocumentServiceImpl> document_service_;
  std::unique_ptr<HealthServiceImpl> health_service_;
  std::unique_ptr<grpc::Server> server_;
  CallTracker calls_;
  int port_ = 0;
  // Null while the metrics endpoint is off. Declared after what the
  // metrics read, so that the endpoint stops first.
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<CallMetrics> call_metrics_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;
  // The purge sweep thread, if --purge_interval is not zero.
  std::thread purge_thread_;
  absl::Notification stop_purge_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_SERVER_H_
