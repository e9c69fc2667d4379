#include "services/server.h"

#include <glog/logging.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/server_builder.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/metrics_sources.h"
#include "services/server_builder_settings.h"
#include "services/tenant_interceptor.h"
#include "storage/postgres_pool.h"
#include "storage/request_ids.h"
#include "storage/shared_store_rows.h"
#include "storage/status_macros.h"
#include "storage/tenant_database.h"

namespace tenantry::services {
namespace {

// Room for the other fields of a CreateDocument request next to the
// largest content.
constexpr int64_t kMessageOverheadBytes = 1 << 20;

// Returns the largest request message the server accepts. The default
// also fits an UploadDocument message with a full chunk.
int64_t EffectiveMaxRequestBytes(const ServerOptions& options) {
  if (options.max_request_bytes > 0) return options.max_request_bytes;
  return std::max(2 * options.max_document_bytes,
                  options.document_chunk_bytes) +
         kMessageOverheadBytes;
}

// The largest message that gRPC clients accept by default.
constexpr int64_t kClientDefaultMaxReceiveBytes = 4 << 20;

// Returns INVALID_ARGUMENT naming the option of a document setting that is
// out of range. Warns about a chunk that an upload message could not carry.
absl::Status CheckDocumentOptions(const ServerOptions& options) {
  constexpr int64_t kMaxInlineBytes = 64 << 20;
  if (options.document_inline_max_bytes < 0 ||
      options.document_inline_max_bytes > kMaxInlineBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--document_inline_max_bytes=", options.document_inline_max_bytes,
        " must be between 0 and ", kMaxInlineBytes));
  }

  constexpr int64_t kMinChunkBytes = 1 << 10;
  constexpr int64_t kMaxChunkBytes = 64 << 20;
  if (options.document_chunk_bytes < kMinChunkBytes ||
      options.document_chunk_bytes > kMaxChunkBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--document_chunk_bytes=", options.document_chunk_bytes,
        " must be between ", kMinChunkBytes, " and ", kMaxChunkBytes));
  }

  // Room for the other fields of the first UploadDocument message.
  constexpr int64_t kUploadOverheadBytes = 64 << 10;
  const int64_t max_request_bytes = EffectiveMaxRequestBytes(options);
  if (options.document_chunk_bytes + kUploadOverheadBytes > max_request_bytes) {
    LOG(WARNING) << "--document_chunk_bytes=" << options.document_chunk_bytes
                 << " plus 64 KiB for the other fields passes the largest "
                    "request message, "
                 << max_request_bytes
                 << " bytes (--max_request_bytes), so uploads must send "
                    "smaller chunks; lower --document_chunk_bytes or raise "
                    "--max_request_bytes";
  }

  constexpr int64_t kMaxUploadBytes = int64_t{1} << 40;
  if (options.max_upload_bytes < 0 ||
      options.max_upload_bytes > kMaxUploadBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_upload_bytes=", options.max_upload_bytes,
                     " must be between 0 and ", kMaxUploadBytes));
  }

  if (options.document_chunk_bytes + kUploadOverheadBytes >
      kClientDefaultMaxReceiveBytes) {
    LOG(WARNING) << "--document_chunk_bytes=" << options.document_chunk_bytes
                 << " makes DownloadDocument messages larger than the 4 MiB "
                    "that gRPC clients accept by default; clients must raise "
                    "their maximum receive message size";
  }
  return absl::OkStatus();
}

// Returns the DocumentService settings of `options`.
DocumentServiceOptions DocumentOptionsFrom(const ServerOptions& options) {
  DocumentServiceOptions document_options;
  document_options.max_content_bytes = options.max_document_bytes;
  document_options.content.inline_max_bytes = options.document_inline_max_bytes;
  document_options.content.chunk_bytes = options.document_chunk_bytes;
  document_options.max_upload_bytes = options.max_upload_bytes;
  return document_options;
}

// Returns FAILED_PRECONDITION if there is neither an admin key nor
// `allow_unauthenticated`, or the admin key's problem.
absl::Status CheckAuthenticationOptions(const ServerOptions& options) {
  if (options.allow_unauthenticated) return absl::OkStatus();
  if (options.admin_key.empty()) {
    return absl::FailedPreconditionError(
        "no admin key is configured: set TENANTRY_ADMIN_KEY or "
        "--admin_key_file to a secret of at least 20 characters (for "
        "example from: openssl rand -hex 32), or pass "
        "--allow_unauthenticated for development");
  }
  return ValidateAdminKey(options.admin_key);
}

// Brings the shared schema up to date, or checks that it is.
absl::Status PrepareSharedStore(storage::SharedStore& store, bool migrate) {
  if (migrate) {
    TENANTRY_ASSIGN_OR_RETURN(const storage::MigrationOutcome outcome,
                              store.Migrate());
    if (!outcome.applied.empty()) {
      LOG(INFO) << "applied shared migrations "
                << absl::StrJoin(outcome.applied, ", ") << "; version "
                << outcome.version_after;
    }
    return absl::OkStatus();
  }
  TENANTRY_ASSIGN_OR_RETURN(const storage::MigrationStatus status,
                            store.GetMigrationStatus());
  if (status.current_version < status.latest_version) {
    return absl::FailedPreconditionError(
        absl::StrCat("the shared store is at schema version ",
                     status.current_version, " but this server needs ",
                     status.latest_version, "; run: tenantctl migrate shared"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TenantryServer>> TenantryServer::Start(
    const ServerOptions& options) {
  TENANTRY_RETURN_IF_ERROR(CheckAuthenticationOptions(options));
  TENANTRY_RETURN_IF_ERROR(CheckDocumentOptions(options));
  std::unique_ptr<TenantryServer> server(new TenantryServer());

  // Storage.
  TENANTRY_RETURN_IF_ERROR(storage::CreateDirectory(options.data_dir));
  RemoveExportLeftovers(options.data_dir);
  const std::string shared_db_url =
      options.shared_db_url.empty()
          ? storage::DefaultSharedStoreUrl(options.data_dir)
          : options.shared_db_url;
  storage::SharedStoreOptions shared_options;
  shared_options.pool_size = options.shared_db_pool_size;
  TENANTRY_ASSIGN_OR_RETURN(
      server->shared_store_,
      storage::OpenSharedStore(shared_db_url, shared_options));
  LOG(INFO) << "shared store: " << storage::RedactUrl(shared_db_url);
  TENANTRY_RETURN_IF_ERROR(PrepareSharedStore(*server->shared_store_,
                                              options.migrate_shared_on_start));
  storage::TenantCache::Options cache_options;
  cache_options.data_dir = options.data_dir;
  cache_options.capacity = options.tenant_cache_size;
  cache_options.connection.synchronous = options.synchronous;
  cache_options.connection.page_cache_kib = options.tenant_page_cache_kib;
  server->cache_ = std::make_unique<storage::TenantCache>(cache_options);
  server->tenants_ = std::make_unique<storage::TenantRegistry>(
      server->shared_store_.get(), server->cache_.get());
  if (options.tenant_retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the tenant retention is ",
                     absl::FormatDuration(options.tenant_retention),
                     " but must be positive, for example 168h"));
  }
  server->tenants_->set_retention(options.tenant_retention);
  storage::SetRequestIdRetention(options.tenant_retention);
  server->contexts_ = std::make_unique<RequestContextRegistry>();
  server->call_stats_ = std::make_unique<TenantCallStats>();
  TENANTRY_RETURN_IF_ERROR(server->SetUpAuthentication(options));

  // Services.
  server->tenant_service_ = std::make_unique<TenantServiceImpl>(
      server->tenants_.get(), server->contexts_.get(),
      server->authenticator_.get(), server->call_stats_.get());
  server->user_service_ = std::make_unique<UserServiceImpl>(
      server->shared_store_.get(), server->contexts_.get());
  server->profile_service_ = std::make_unique<ProfileServiceImpl>(
      server->tenants_.get(), server->contexts_.get());
  server->document_service_ = std::make_unique<DocumentServiceImpl>(
      server->tenants_.get(), server->contexts_.get(),
      DocumentOptionsFrom(options));

  // Before gRPC listens, so that an unusable --metrics_listen stops the
  // start with nothing served.
  TENANTRY_RETURN_IF_ERROR(server->StartMetrics(options));

  // gRPC.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::InsecureServerCredentials();
  if (!options.tls_cert_pem.empty()) {
    grpc::SslServerCredentialsOptions tls;
    tls.pem_key_cert_pairs.push_back(
        {options.tls_key_pem, options.tls_cert_pem});
    credentials = grpc::SslServerCredentials(tls);
  }
  builder.AddListeningPort(options.listen_address, credentials, &server->port_);
  // By default, up to twice the document limit reaches the validation,
  // which names the field and the limit; only larger messages get gRPC's
  // own RESOURCE_EXHAUSTED.
  const int64_t max_request_bytes = EffectiveMaxRequestBytes(options);
  ServerBuilderSettings settings;
  settings.sync_queues = options.sync_server_queues;
  settings.sync_min_pollers = options.sync_server_min_pollers;
  settings.sync_max_pollers = options.sync_server_max_pollers;
  settings.max_receive_bytes = max_request_bytes;
  ApplyServerBuilderSettings(settings, builder);
  if (max_request_bytes < options.max_document_bytes + kMessageOverheadBytes) {
    LOG(WARNING) << "--max_request_bytes=" << max_request_bytes
                 << " is below --max_document_bytes="
                 << options.max_document_bytes
                 << " plus 1 MiB, so a document near the limit gets gRPC's "
                    "RESOURCE_EXHAUSTED instead of INVALID_ARGUMENT naming "
                    "document.content";
  }
  server->health_service_ = std::make_unique<HealthServiceImpl>();
  builder.RegisterService(server->health_service_.get());
  builder.RegisterService(server->tenant_service_.get());
  builder.RegisterService(server->user_service_.get());
  builder.RegisterService(server->profile_service_.get());
  builder.RegisterService(server->document_service_.get());
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<TenantInterceptorFactory>(
      server->tenants_.get(), server->contexts_.get(),
      server->authenticator_.get(), &server->calls_, options.access_log,
      server->call_stats_.get(), server->call_metrics_.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "failed to listen on ", options.listen_address,
        options.tls_cert_pem.empty()
            ? "; is the address in use or malformed?"
            : "; is the address in use or malformed, or do the TLS "
              "certificate and key not match? The log above has gRPC's "
              "reason"));
  }
  server->health_service_->SetServing("", true);
  for (const char* service :
       {tenantry::v1::TenantService::service_full_name(),
        tenantry::v1::UserService::service_full_name(),
        tenantry::v1::ProfileService::service_full_name(),
        tenantry::v1::DocumentService::service_full_name()}) {
    server->health_service_->SetServing(service, true);
  }
  if (options.purge_interval > absl::ZeroDuration()) {
    TenantryServer* const running = server.get();
    server->purge_thread_ =
        std::thread([running, interval = options.purge_interval]() {
          running->RunPurgeSweep(interval);
        });
    LOG(INFO) << "purge sweep: every "
              << absl::FormatDuration(options.purge_interval)
              << ", removing tenants deleted more than "
              << absl::FormatDuration(options.tenant_retention) << " ago";
  } else {
    LOG(INFO) << "purge sweep is off (--purge_interval=0); deleted tenants "
                 "stay until tenantctl purge removes them";
  }
  return server;
}

void TenantryServer::RunPurgeSweep(absl::Duration interval) {
  do {
    PurgeOnce();
  } while (!stop_purge_.WaitForNotificationWithTimeout(interval));
}

void TenantryServer::PurgeOnce() {
  storage::PurgeOptions options;
  options.now = storage::CurrentTime();
  options.stop_requested = [this]() { return stop_purge_.HasBeenNotified(); };
  absl::StatusOr<storage::PurgeReport> report = tenants_->PurgeExpired(options);
  // Every error is logged and the next round retries, so the sweep never
  // stops the server.
  if (!report.ok()) {
    LOG(ERROR) << "purge sweep: failed to list the tenants due for purge: "
               << report.status() << "; retrying in the next round";
    return;
  }
  for (const storage::TenantRecord& tenant : report->purged) {
    LOG(INFO) << "purge sweep: purged tenant \"" << tenant.id
              << "\", deleted at "
              << absl::FormatTime(absl::RFC3339_sec,
                                  tenant.delete_time.value_or(absl::Time()),
                                  absl::UTCTimeZone());
    if (authenticator_ != nullptr) authenticator_->ForgetTenant(tenant.id);
  }
  for (const auto& [tenant_id, status] : report->failures) {
    LOG(ERROR) << "purge sweep: failed to purge tenant \"" << tenant_id
               << "\": " << status << "; retrying in the next round";
  }
  if (!report->request_records_status.ok()) {
    LOG(ERROR) << "purge sweep: failed to delete expired request ids: "
               << report->request_records_status
               << "; retrying in the next round";
  } else if (report->request_records_deleted > 0) {
    LOG(INFO) << "purge sweep: deleted " << report->request_records_deleted
              << " expired request ids";
  }
}

void TenantryServer::StopPurgeSweep() {
  if (!stop_purge_.HasBeenNotified()) stop_purge_.Notify();
  if (purge_thread_.joinable()) purge_thread_.join();
}

absl::Status TenantryServer::StartMetrics(const ServerOptions& options) {
  if (options.metrics_listen_address.empty()) return absl::OkStatus();
  metrics_ = std::make_unique<MetricsRegistry>();
  call_metrics_ = std::make_unique<CallMetrics>(
      *metrics_, std::vector<std::string>{
                     tenantry::v1::TenantService::service_full_name(),
                     tenantry::v1::UserService::service_full_name(),
                     tenantry::v1::ProfileService::service_full_name(),
                     tenantry::v1::DocumentService::service_full_name()});
  AddTenantCacheMetrics(*metrics_, cache_.get());
  AddGroupCommitMetrics(*metrics_);
  AddSharedStoreMetrics(*metrics_, shared_store_.get());
  AddBusiestTenantMetrics(*metrics_, call_stats_.get(),
                          options.metrics_top_tenants);
  AddProcessMetrics(*metrics_);
  MetricsRegistry* const registry = metrics_.get();
  TENANTRY_ASSIGN_OR_RETURN(
      metrics_http_,
      MetricsHttpServer::Start(options.metrics_listen_address,
                               [registry] { return registry->Render(); }));
  LOG(INFO) << "serving Prometheus metrics at GET /metrics on "
            << options.metrics_listen_address << " (metrics port "
            << metrics_http_->port() << ")";
  return absl::OkStatus();
}

absl::Status TenantryServer::SetUpAuthentication(const ServerOptions& options) {
  if (options.allow_unauthenticated) {
    LOG(WARNING) << "authentication is off (--allow_unauthenticated): every "
                    "client may call every method without an API key; use "
                    "this for development only";
    if (!options.admin_key.empty()) {
      LOG(WARNING) << "the admin key is ignored while authentication is off";
    }
    return absl::OkStatus();
  }
  authenticator_ = std::make_unique<ApiKeyAuthenticator>(shared_store_.get(),
                                                         options.admin_key);
  LOG(INFO) << "authentication is on: calls need the admin key or a tenant "
               "API key";
  return absl::OkStatus();
}

TenantryServer::~TenantryServer() {
  StopPurgeSweep();
  if (server_ != nullptr) {
    health_service_->Shutdown();
    server_->Shutdown();
    server_->Wait();
  }
}

void TenantryServer::Shutdown(absl::Duration grace) {
  const absl::Time deadline = absl::Now() + grace;
  calls_.stopping = true;
  StopPurgeSweep();
  // Ends the health Watch streams first, or they would hold the stop until
  // the grace period ends.
  health_service_->Shutdown();
  // gRPC 1.51 cancels a call that reaches an open connection once its own
  // Shutdown began. Until the calls in flight end, new calls get a
  // retryable UNAVAILABLE from the interceptor instead.
  while (calls_.in_flight.load() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  server_->Shutdown(absl::ToChronoTime(deadline));
  if (metrics_http_ != nullptr) metrics_http_->Stop();
}

void TenantryServer::Wait() { server_->Wait(); }

}  // namespace tenantry::services
