#include "storage/tenant_registry.h"

#include <sys/stat.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::storage {
namespace {

// How many purgeable tenants PurgeExpired reads from the shared store at a
// time.
constexpr int kPurgePageSize = 100;

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

bool IsDeleted(const TenantRecord& tenant) {
  return tenant.delete_time.has_value();
}

// The purge time of a soft-deleted tenant, for messages.
std::string PurgeTimeText(const TenantRecord& tenant) {
  return tenant.purge_time.has_value() ? FormatUtc(*tenant.purge_time)
                                       : std::string("an unknown time");
}

absl::Status CheckRevision(const TenantRecord& tenant,
                           const std::optional<int64_t>& expected_revision) {
  if (expected_revision.has_value() && *expected_revision != tenant.revision) {
    return absl::AbortedError(absl::StrCat(
        "tenant \"", tenant.id,
        "\" changed since the etag was read; get it again and retry"));
  }
  return absl::OkStatus();
}

bool FileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

// Returns the ALREADY_EXISTS of a create whose id is registered.
absl::Status TenantExistsError(const TenantRecord& existing) {
  if (IsDeleted(existing)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "tenant \"", existing.id, "\" already exists and is deleted until ",
        PurgeTimeText(existing),
        "; restore it with UndeleteTenant, or remove it now with DeleteTenant "
        "and force=true before creating it again"));
  }
  return absl::AlreadyExistsError(
      absl::StrCat("tenant \"", existing.id, "\" already exists"));
}

}  // namespace

absl::Status DeletedTenantError(const TenantRecord& tenant) {
  return absl::NotFoundError(absl::StrCat(
      "tenant \"", tenant.id, "\" is deleted and will be purged at ",
      PurgeTimeText(tenant),
      "; restore it with TenantService.UndeleteTenant before then"));
}

absl::StatusOr<TenantRecord> TenantRegistry::Create(
    const TenantRecord& tenant, const std::optional<RequestKey>& request) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant.id));
  absl::WriterMutexLock lock(&lifecycle_mutex_);
  if (request.has_value()) return CreateForRequestLocked(tenant, *request);

  absl::StatusOr<TenantRecord> existing = shared_store_->GetTenant(tenant.id);
  if (existing.ok()) return TenantExistsError(*existing);
  if (!absl::IsNotFound(existing.status())) return existing.status();

  // A file without a row belongs to another registry that shares this
  // data directory, or to a create that crashed after its rename. Only an
  // operator can tell which, so CreateTenant leaves the file alone.
  if (FileExists(TenantDatabasePath(cache_->options().data_dir, tenant.id))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tenant \"", tenant.id,
        "\" is not registered but its database file "
        "tenants/",
        tenant.id,
        ".db exists in the data directory; move the "
        "file away, or register the tenant with the shared store that "
        "created it"));
  }
  return CreateFileAndRegister(
      tenant, [&]() { return shared_store_->CreateTenant(tenant); });
}

absl::StatusOr<TenantRecord> TenantRegistry::CreateForRequestLocked(
    const TenantRecord& tenant, const RequestKey& request) {
  TENANTRY_ASSIGN_OR_RETURN(
      const std::optional<RequestRecord> earlier,
      shared_store_->FindRequestRecord(request.method, request.request_id));
  // Set when an earlier attempt of this same request reserved its record
  // but did not register the tenant: it failed or crashed, maybe after
  // creating the database file.
  bool resuming = false;
  if (earlier.has_value()) {
    if (earlier->request_sha256 != request.request_sha256) {
      return RequestIdConflictError(request.method, request.request_id);
    }
    if (!earlier->resource_id.empty()) {
      absl::StatusOr<TenantRecord> created =
          shared_store_->GetTenant(earlier->resource_id);
      if (absl::IsNotFound(created.status())) {
        return absl::NotFoundError(absl::StrCat(
            "request_id \"", request.request_id, "\" created tenant \"",
            earlier->resource_id,
            "\", which has been purged since; send a new request_id to "
            "create it again"));
      }
      return created;
    }
    resuming = true;
  }

  absl::StatusOr<TenantRecord> existing = shared_store_->GetTenant(tenant.id);
  if (existing.ok()) return TenantExistsError(*existing);
  if (!absl::IsNotFound(existing.status())) return existing.status();

  if (!resuming) {
    // Only a file that an earlier attempt of this request may have left is
    // replaced. Any other file is left to the operator, as in Create.
    if (FileExists(TenantDatabasePath(cache_->options().data_dir, tenant.id))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tenant \"", tenant.id,
          "\" is not registered but its database file tenants/", tenant.id,
          ".db exists in the data directory; move the file away, or "
          "register the tenant with the shared store that created it"));
    }
    TENANTRY_ASSIGN_OR_RETURN(const bool reserved,
                              shared_store_->ReserveRequest(request));
    if (!reserved) {
      // Another process that shares the store reserved the same request
      // since the lookup above; this process's lock does not cover it.
      return absl::AbortedError(absl::StrCat(
          "another CreateTenant with request_id \"", request.request_id,
          "\" is running; repeat the request unchanged to get its result"));
    }
  }
  // NOTE: two processes that share the store and retry the same crashed
  // request at the same moment may both replace the file. The one whose
  // registration fails returns ALREADY_EXISTS.
  return CreateFileAndRegister(tenant, [&]() {
    return shared_store_->CreateTenantForRequest(tenant, request);
  });
}

absl::StatusOr<TenantRecord> TenantRegistry::CreateFileAndRegister(
    const TenantRecord& tenant,
    const std::function<absl::StatusOr<TenantRecord>()>& register_tenant) {
  const std::string& data_dir = cache_->options().data_dir;
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

  absl::StatusOr<TenantRecord> created = register_tenant();
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
  return ForceDelete(tenant_id, expected_revision).status();
}

absl::StatusOr<TenantRecord> TenantRegistry::ForceDelete(
    absl::string_view tenant_id, std::optional<int64_t> expected_revision) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  absl::WriterMutexLock lock(&lifecycle_mutex_);

  TENANTRY_ASSIGN_OR_RETURN(TenantRecord tenant,
                            shared_store_->GetTenant(tenant_id));
  TENANTRY_RETURN_IF_ERROR(CheckRevision(tenant, expected_revision));
  TENANTRY_RETURN_IF_ERROR(RemoveTenantLocked(
      tenant_id,
      "The tenant stays registered, so remove or move that path and call "
      "DeleteTenant again"));
  const absl::Time now = CurrentTime();
  tenant.delete_time = now;
  tenant.purge_time = now;
  tenant.update_time = now;
  tenant.revision += 1;
  return tenant;
}

absl::Status TenantRegistry::RemoveTenantLocked(absl::string_view tenant_id,
                                                absl::string_view retry_hint) {
  cache_->Evict(tenant_id);
  absl::Status removed =
      RemoveTenantDatabaseFiles(cache_->options().data_dir, tenant_id);
  if (!removed.ok()) {
    // Some files may be gone already. The row stays, so that the tenant
    // can still be found and the removal retried.
    return absl::Status(
        removed.code(),
        absl::StrCat("failed to delete the database files of tenant \"",
                     tenant_id, "\": ", removed.message(), ". ", retry_hint));
  }
  // A call that started before the files went may have cached them again.
  cache_->Evict(tenant_id);
  ForgetRow(tenant_id);
  absl::Status deleted = shared_store_->DeleteTenant(tenant_id);
  ForgetRow(tenant_id);
  return deleted;
}

absl::StatusOr<TenantRecord> TenantRegistry::SoftDelete(
    absl::string_view tenant_id, std::optional<int64_t> expected_revision) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  absl::WriterMutexLock lock(&lifecycle_mutex_);

  absl::StatusOr<TenantRecord> deleted = shared_store_->UpdateTenant(
      tenant_id, [&](TenantRecord& tenant) -> absl::Status {
        TENANTRY_RETURN_IF_ERROR(CheckRevision(tenant, expected_revision));
        if (IsDeleted(tenant)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "tenant \"", tenant.id,
              "\" is already deleted and will be "
              "purged at ",
              PurgeTimeText(tenant),
              "; call DeleteTenant with force=true to purge it now, or "
              "UndeleteTenant to restore it"));
        }
        const absl::Time now = CurrentTime();
        tenant.delete_time = now;
        tenant.purge_time = now + retention_;
        return absl::OkStatus();
      });
  ForgetRow(tenant_id);
  if (deleted.ok()) {
    // The file stays; closing it lets the purge remove it and keeps a
    // deleted tenant from holding a cache slot.
    cache_->Evict(tenant_id);
  }
  return deleted;
}

absl::StatusOr<TenantRecord> TenantRegistry::Undelete(
    absl::string_view tenant_id, std::optional<int64_t> expected_revision) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  absl::WriterMutexLock lock(&lifecycle_mutex_);

  const std::string path =
      TenantDatabasePath(cache_->options().data_dir, tenant_id);
  absl::StatusOr<TenantRecord> restored = shared_store_->UpdateTenant(
      tenant_id, [&](TenantRecord& tenant) -> absl::Status {
        TENANTRY_RETURN_IF_ERROR(CheckRevision(tenant, expected_revision));
        if (!IsDeleted(tenant)) {
          return absl::FailedPreconditionError(
              absl::StrCat("tenant \"", tenant.id,
                           "\" is not deleted; UndeleteTenant restores only "
                           "tenants in state DELETED"));
        }
        // A purge by another process that shares the store removes the
        // files before the row.
        if (!FileExists(path)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the database file of deleted tenant \"", tenant.id,
              "\" is missing, so it cannot be restored; a purge may be "
              "removing it. Restore the file from a backup, or finish the "
              "purge with DeleteTenant and force=true"));
        }
        tenant.delete_time.reset();
        tenant.purge_time.reset();
        return absl::OkStatus();
      });
  ForgetRow(tenant_id);
  if (absl::IsNotFound(restored.status())) {
    return absl::NotFoundError(absl::StrCat(
        "tenant \"", tenant_id,
        "\" not found: it was never created or has been purged, and a "
        "purged tenant cannot be restored"));
  }
  return restored;
}

absl::StatusOr<TenantRecord> TenantRegistry::Purge(absl::string_view tenant_id,
                                                   absl::Time now,
                                                   bool before_purge_time) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  absl::WriterMutexLock lock(&lifecycle_mutex_);

  TENANTRY_ASSIGN_OR_RETURN(const TenantRecord tenant,
                            shared_store_->GetTenant(tenant_id));
  if (!IsDeleted(tenant)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tenant \"", tenant_id,
        "\" is not deleted; only tenants in state DELETED are purged"));
  }
  if (!before_purge_time && tenant.purge_time.has_value() &&
      *tenant.purge_time > now) {
    return absl::FailedPreconditionError(
        absl::StrCat("tenant \"", tenant_id, "\" is not due for purge until ",
                     PurgeTimeText(tenant)));
  }
  TENANTRY_RETURN_IF_ERROR(RemoveTenantLocked(
      tenant_id,
      "The tenant stays deleted, so remove or move that path and purge "
      "again"));
  return tenant;
}

absl::StatusOr<PurgeReport> TenantRegistry::PurgeExpired(
    const PurgeOptions& options) {
  const auto stop_requested = [&options]() {
    return options.stop_requested != nullptr && options.stop_requested();
  };
  const absl::Time due_by =
      options.ignore_purge_time ? absl::InfiniteFuture() : options.now;
  PurgeReport report;
  PageRequest page{kPurgePageSize, ""};
  while (true) {
    TENANTRY_ASSIGN_OR_RETURN(
        const Page<TenantRecord> due,
        shared_store_->ListPurgeableTenants(due_by, page));
    for (const TenantRecord& listed : due.items) {
      if (stop_requested()) {
        report.stopped = true;
        return report;
      }
      absl::StatusOr<TenantRecord> purged =
          Purge(listed.id, options.now, options.ignore_purge_time);
      if (purged.ok()) {
        report.purged.push_back(*std::move(purged));
      } else if (!absl::IsNotFound(purged.status()) &&
                 !absl::IsFailedPrecondition(purged.status())) {
        // NOT_FOUND: purged by another process since the listing.
        // FAILED_PRECONDITION: undeleted since, or no longer due.
        report.failures.emplace_back(listed.id, purged.status());
      }
    }
    if (!due.has_more) break;
    page.after_id = due.items.back().id;
  }
  if (stop_requested()) {
    report.stopped = true;
    return report;
  }
  absl::StatusOr<int64_t> deleted =
      shared_store_->DeleteRequestRecordsBefore(options.now - retention_);
  if (deleted.ok()) {
    report.request_records_deleted = *deleted;
  } else {
    report.request_records_status = deleted.status();
  }
  return report;
}

absl::StatusOr<TenantRecord> TenantRegistry::Update(
    absl::string_view tenant_id, const Mutation<TenantRecord>& mutation) {
  absl::StatusOr<TenantRecord> updated = shared_store_->UpdateTenant(
      tenant_id, [&](TenantRecord& tenant) -> absl::Status {
        if (IsDeleted(tenant)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "tenant \"", tenant.id,
              "\" is deleted; restore it with UndeleteTenant before "
              "updating it"));
        }
        return mutation(tenant);
      });
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
  // Another process sharing the store, such as `tenantctl purge` and
  // `tenantctl restore`, may have removed or replaced the file since this
  // server opened it. Checking when the row is read again bounds how long a
  // stale connection serves to kRowCacheTtl.
  cache_->EvictIfFileChanged(tenant_id);
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
  if (IsDeleted(tenant)) return DeletedTenantError(tenant);
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

  // A delete or purge that ran since the call resolved its tenant removes
  // the files while this call opens them, which fails in several ways.
  // Under the lifecycle lock no create, delete or purge runs, so check the
  // row and try once more.
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
