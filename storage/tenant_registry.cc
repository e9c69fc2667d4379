#include "storage/tenant_registry.h"

#include <sys/stat.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::storage {

absl::StatusOr<TenantRecord> TenantRegistry::Create(
    const TenantRecord& tenant) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant.id));
  absl::WriterMutexLock lock(&lifecycle_mutex_);

  absl::StatusOr<TenantRecord> existing = shared_store_->GetTenant(tenant.id);
  if (existing.ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("tenant \"", tenant.id, "\" already exists"));
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();

  const std::string& data_dir = cache_->options().data_dir;
  // A file without a row belongs to another registry that shares this
  // data directory, or to a create that crashed after its rename. Only an
  // operator can tell which, so CreateTenant leaves the file alone.
  struct stat info;
  if (stat(TenantDatabasePath(data_dir, tenant.id).c_str(), &info) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tenant \"", tenant.id,
        "\" is not registered but its database file "
        "tenants/",
        tenant.id,
        ".db exists in the data directory; move the "
        "file away, or register the tenant with the shared store that "
        "created it"));
  }
  absl::Status file_created = CreateTenantDatabaseFile(data_dir, tenant.id);
  if (!file_created.ok()) {
    return absl::Status(
        file_created.code(),
        absl::StrCat("failed to create the database of tenant \"", tenant.id,
                     "\": ", file_created.message(),
                     ". The tenant was not registered, so call CreateTenant "
                     "again once that is fixed"));
  }
  // A connection cached before an earlier delete of this id points at the
  // old file.
  cache_->Evict(tenant.id);

  absl::StatusOr<TenantRecord> created = shared_store_->CreateTenant(tenant);
  if (!created.ok()) {
    // Without a row the file is unreachable; remove it so that nothing of
    // the failed create remains. A failure here leaves an orphan file that
    // the next create of this id replaces.
    RemoveTenantDatabaseFiles(data_dir, tenant.id).IgnoreError();
  }
  return created;
}

absl::Status TenantRegistry::Delete(absl::string_view tenant_id,
                                    std::optional<int64_t> expected_revision) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  absl::WriterMutexLock lock(&lifecycle_mutex_);

  TENANTRY_ASSIGN_OR_RETURN(const TenantRecord tenant,
                            shared_store_->GetTenant(tenant_id));
  if (expected_revision.has_value() && *expected_revision != tenant.revision) {
    return absl::AbortedError(absl::StrCat(
        "tenant \"", tenant_id,
        "\" changed since the etag was read; get it again and retry"));
  }
  cache_->Evict(tenant_id);
  absl::Status removed =
      RemoveTenantDatabaseFiles(cache_->options().data_dir, tenant_id);
  if (!removed.ok()) {
    // Some files may be gone already. The row stays, so that the tenant
    // can still be found and the delete retried.
    return absl::Status(
        removed.code(),
        absl::StrCat("failed to delete the database files of tenant \"",
                     tenant_id, "\": ", removed.message(),
                     ". The tenant stays registered, so remove or move that "
                     "path and call DeleteTenant again"));
  }
  // A call that started before the files went may have cached them again.
  cache_->Evict(tenant_id);
  ForgetRow(tenant_id);
  absl::Status deleted = shared_store_->DeleteTenant(tenant_id);
  ForgetRow(tenant_id);
  return deleted;
}

absl::StatusOr<TenantRecord> TenantRegistry::Update(
    absl::string_view tenant_id, const Mutation<TenantRecord>& mutation) {
  absl::StatusOr<TenantRecord> updated =
      shared_store_->UpdateTenant(tenant_id, mutation);
  ForgetRow(tenant_id);
  return updated;
}

absl::StatusOr<TenantRecord> TenantRegistry::GetRow(
    absl::string_view tenant_id) {
  const absl::Time now = absl::Now();
  uint64_t changes_before = 0;
  {
    absl::MutexLock lock(&row_mutex_);
    auto cached = rows_.find(tenant_id);
    if (cached != rows_.end() && cached->second.expire_time > now) {
      return cached->second.tenant;
    }
    changes_before = row_changes_;
  }
  absl::StatusOr<TenantRecord> tenant = shared_store_->GetTenant(tenant_id);
  if (!tenant.ok()) return tenant;
  absl::MutexLock lock(&row_mutex_);
  if (row_changes_ != changes_before) return tenant;
  if (rows_.size() >= row_cache_capacity_) rows_.erase(rows_.begin());
  rows_[tenant_id] = CachedRow{*tenant, now + kRowCacheTtl};
  return tenant;
}

void TenantRegistry::ForgetRow(absl::string_view tenant_id) {
  absl::MutexLock lock(&row_mutex_);
  ++row_changes_;
  rows_.erase(tenant_id);
}

absl::StatusOr<TenantRecord> TenantRegistry::ResolveServable(
    absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  absl::StatusOr<TenantRecord> resolved = GetRow(tenant_id);
  if (absl::IsNotFound(resolved.status())) {
    return absl::NotFoundError(absl::StrCat(
        "tenant \"", tenant_id,
        "\" is not registered; check the x-tenant-id metadata, or create the "
        "tenant with TenantService.CreateTenant"));
  }
  TENANTRY_ASSIGN_OR_RETURN(TenantRecord tenant, std::move(resolved));
  if (tenant.state == TenantState::kSuspended) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tenant \"", tenant_id,
        "\" is suspended; set its state to ACTIVE with UpdateTenant"));
  }
  return tenant;
}

absl::StatusOr<std::shared_ptr<TenantDatabase>> TenantRegistry::OpenDatabase(
    absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  absl::StatusOr<std::shared_ptr<TenantDatabase>> database =
      cache_->Get(tenant_id);
  if (database.ok()) return database;

  // A DeleteTenant that ran since the call resolved its tenant removes the
  // files while this call opens them, which fails in several ways. Under
  // the lifecycle lock no create or delete runs, so check the row and try
  // once more.
  absl::ReaderMutexLock lock(&lifecycle_mutex_);
  TENANTRY_RETURN_IF_ERROR(shared_store_->GetTenant(tenant_id).status());
  database = cache_->Get(tenant_id);
  if (absl::IsNotFound(database.status())) {
    // Registered without a file: the data directory lost it. The message
    // leaves out the server's path; operators find it from the tenant id.
    return absl::InternalError(absl::StrCat(
        "the database file of tenant \"", tenant_id,
        "\" is missing from the data directory; restore it from a backup or "
        "delete the tenant"));
  }
  return database;
}

}  // namespace tenantry::storage
