#include "services/server.h"

#include <glog/logging.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/server_builder.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/server_builder_settings.h"
#include "services/tenant_interceptor.h"
#include "storage/postgres_pool.h"
#include "storage/shared_store_rows.h"
#include "storage/status_macros.h"
#include "storage/tenant_database.h"

namespace tenantry::services {
namespace {

// Room for the other fields of a CreateDocument request next to the
// largest content.
constexpr int64_t kMessageOverheadBytes = 1 << 20;

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
  std::unique_ptr<TenantryServer> server(new TenantryServer());

  // Storage.
  TENANTRY_RETURN_IF_ERROR(storage::CreateDirectory(options.data_dir));
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
      options.max_document_bytes);

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
  const int64_t max_request_bytes =
      options.max_request_bytes > 0
          ? options.max_request_bytes
          : 2 * options.max_document_bytes + kMessageOverheadBytes;
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
      server->authenticator_.get(), &server->calls_, options.access_log));
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
  return server;
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
  if (server_ != nullptr) {
    health_service_->Shutdown();
    server_->Shutdown();
    server_->Wait();
  }
}

void TenantryServer::Shutdown(absl::Duration grace) {
  const absl::Time deadline = absl::Now() + grace;
  calls_.stopping = true;
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
}

void TenantryServer::Wait() { server_->Wait(); }

}  // namespace tenantry::services
