#include "storage/tenant_registry.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::storage {

absl::StatusOr<TenantRecord> TenantRegistry::Create(
    const TenantRecord& tenant) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant.id));
  absl::MutexLock lock(&lifecycle_mutex_);

  absl::StatusOr<TenantRecord> existing = shared_store_->GetTenant(tenant.id);
  if (existing.ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("tenant \"", tenant.id, "\" already exists"));
  }
  if (!absl::IsNotFound(existing.status())) return existing.status();

  const std::string& data_dir = cache_->options().data_dir;
  TENANTRY_RETURN_IF_ERROR(CreateTenantDatabaseFile(data_dir, tenant.id));
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
  absl::MutexLock lock(&lifecycle_mutex_);

  TENANTRY_ASSIGN_OR_RETURN(const TenantRecord tenant,
                            shared_store_->GetTenant(tenant_id));
  if (expected_revision.has_value() && *expected_revision != tenant.revision) {
    return absl::AbortedError(absl::StrCat(
        "tenant \"", tenant_id,
        "\" changed since the etag was read; get it again and retry"));
  }
  cache_->Evict(tenant_id);
  TENANTRY_RETURN_IF_ERROR(
      RemoveTenantDatabaseFiles(cache_->options().data_dir, tenant_id));
  // A call that started before the files went may have cached them again.
  cache_->Evict(tenant_id);
  return shared_store_->DeleteTenant(tenant_id);
}

absl::StatusOr<TenantRecord> TenantRegistry::ResolveServable(
    absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  TENANTRY_ASSIGN_OR_RETURN(TenantRecord tenant,
                            shared_store_->GetTenant(tenant_id));
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
  if (absl::IsNotFound(database.status())) {
    // The tenant is registered, so its file should exist.
    return absl::InternalError(
        absl::StrCat("the database of tenant \"", tenant_id,
                     "\" is missing: ", database.status().message()));
  }
  return database;
}

}  // namespace tenantry::storage
