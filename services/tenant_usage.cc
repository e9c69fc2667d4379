#include "storage/tenant_usage.h"

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/request_context.h"
#include "services/resource_names.h"
#include "services/tenant_service.h"
#include "services/timestamps.h"
#include "storage/status_macros.h"
#include "storage/tenant_database.h"

namespace tenantry::services {
namespace {

// Returns the size of the file at `path`, or 0 if it does not exist, as
// the -wal file does not after a checkpoint that truncated it.
int64_t FileSizeOrZero(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<int64_t>(size);
}

struct DatabaseUsage {
  storage::TenantUsageCounts counts;
  // The database file and its write-ahead log.
  int64_t database_bytes = 0;
};

}  // namespace

grpc::Status TenantServiceImpl::GetTenantUsage(
    grpc::ServerContext* context,
    const tenantry::v1::GetTenantUsageRequest* request,
    tenantry::v1::TenantUsage* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantUsageName("name", request->name()));
    TENANTRY_ASSIGN_OR_RETURN(const storage::TenantRecord tenant,
                              tenants_->shared_store()->GetTenant(id));
    // A DELETED tenant is NOT_FOUND, as for the tenant-scoped services,
    // and its database is not opened.
    if (tenant.delete_time.has_value()) {
      return absl::NotFoundError(absl::StrCat(
          "tenant \"", id,
          "\" is deleted; undelete it with UndeleteTenant to read its usage"));
    }
    TENANTRY_ASSIGN_OR_RETURN(
        const std::shared_ptr<storage::TenantDatabase> database,
        tenants_->OpenDatabase(id));
    // One row of usage_counts, kept by triggers, and two stat calls: the
    // cost does not grow with the tenant's data.
    TENANTRY_ASSIGN_OR_RETURN(
        const DatabaseUsage usage,
        database->Read([](storage::SqliteConnection& connection)
                           -> absl::StatusOr<DatabaseUsage> {
          DatabaseUsage result;
          TENANTRY_ASSIGN_OR_RETURN(result.counts,
                                    storage::ReadUsageCounts(connection));
          result.database_bytes =
              FileSizeOrZero(connection.path()) +
              FileSizeOrZero(absl::StrCat(connection.path(), "-wal"));
          return result;
        }));
    const TenantCallStats::Counts calls = call_stats_->LastHour(id);

    response->set_name(TenantUsageName(id));
    response->set_profile_count(usage.counts.profiles);
    response->set_post_count(usage.counts.posts);
    response->set_document_count(usage.counts.documents);
    response->set_document_bytes(usage.counts.document_bytes);
    response->set_database_bytes(usage.database_bytes);
    response->set_calls_last_hour(calls.calls);
    response->set_errors_last_hour(calls.errors);
    tenantry::v1::TenantQuota* quota = response->mutable_quota();
    quota->set_max_profiles(tenant.quota.max_profiles);
    quota->set_max_documents(tenant.quota.max_documents);
    quota->set_max_document_bytes(tenant.quota.max_document_bytes);
    SetTimestamp(storage::CurrentTime(), response->mutable_read_time());
    return absl::OkStatus();
  });
}

}  // namespace tenantry::services
