#ifndef TENANTRY_SERVICES_SERVER_FLAGS_H_
#define TENANTRY_SERVICES_SERVER_FLAGS_H_

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/server.h"

// Every command-line flag of tenantry_server; the help text is in
// server_flags.cc.
ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(std::string, shared_db);
ABSL_DECLARE_FLAG(int, shared_db_pool_size);
ABSL_DECLARE_FLAG(int, tenant_cache_size);
ABSL_DECLARE_FLAG(int, tenant_page_cache_kib);
ABSL_DECLARE_FLAG(int64_t, max_document_bytes);
ABSL_DECLARE_FLAG(int64_t, document_inline_max_bytes);
ABSL_DECLARE_FLAG(int64_t, document_chunk_bytes);
ABSL_DECLARE_FLAG(int64_t, max_upload_bytes);
ABSL_DECLARE_FLAG(bool, migrate_shared);
ABSL_DECLARE_FLAG(bool, access_log);
ABSL_DECLARE_FLAG(int, grpc_sync_queues);
ABSL_DECLARE_FLAG(int, grpc_sync_min_pollers);
ABSL_DECLARE_FLAG(int, grpc_sync_max_pollers);
ABSL_DECLARE_FLAG(std::string, synchronous);
ABSL_DECLARE_FLAG(bool, allow_unauthenticated);
ABSL_DECLARE_FLAG(std::string, admin_key_file);
ABSL_DECLARE_FLAG(std::string, tls_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_key_file);
ABSL_DECLARE_FLAG(int64_t, max_request_bytes);
ABSL_DECLARE_FLAG(absl::Duration, tenant_retention);
ABSL_DECLARE_FLAG(absl::Duration, purge_interval);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(int, metrics_top_tenants);

namespace tenantry::services {

// Builds the server options from the flags and the TENANTRY_ADMIN_KEY
// environment variable, reading the key and TLS files. Returns
// INVALID_ARGUMENT naming a flag with an unusable value, or the error of a
// file that cannot be read.
absl::StatusOr<ServerOptions> ServerOptionsFromFlags();

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_SERVER_FLAGS_H_
