#ifndef TENANTRY_STORAGE_TENANT_REGISTRY_H_
#define TENANTRY_STORAGE_TENANT_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/records.h"
#include "storage/request_ids.h"
#include "storage/shared_store.h"
#include "storage/tenant_cache.h"

namespace tenantry::storage {

// The outcome of one PurgeExpired round.
struct PurgeReport {
  // The tenants purged, as they were just before.
  std::vector<TenantRecord> purged;
  // Tenants that were due but could not be purged, with the error. They
  // stay DELETED, so the next round tries again.
  std::vector<std::pair<std::string, absl::Status>> failures;
  // Request records deleted for being older than the retention.
  int64_t request_records_deleted = 0;
  // The error of deleting those records, if any.
  absl::Status request_records_status;
  // Whether `stop_requested` ended the round early.
  bool stopped = false;
};

struct PurgeOptions {
  // The time that purge times and the request-id retention are compared
  // with.
  absl::Time now;
  // Whether to purge soft-deleted tenants before their purge_time too.
  bool ignore_purge_time = false;
  // If set, checked before each tenant; a true result ends the round.
  std::function<bool()> stop_requested;
};

// Returns the NOT_FOUND of a call to a soft-deleted tenant. The message
// names the purge time and how to restore the tenant.
absl::Status DeletedTenantError(const TenantRecord& tenant);

// Keeps the tenant rows in the shared store and the tenant database files
// in step, and resolves tenant ids for calls. Thread-safe; creates,
// deletes, undeletes and purges run one at a time.
//
// A soft-deleted tenant (AIP-164) keeps its row, its files and its API
// keys. Its row has delete_time and purge_time set and keeps the state
// that Undelete restores. Calls to it get NOT_FOUND until it is undeleted
// or purged.
class TenantRegistry {
 public:
  // How long a soft-deleted tenant is kept before a purge removes it, and
  // how long request ids of creates are kept.
  static constexpr absl::Duration kDefaultRetention = absl::Hours(168);

  // Tenant rows that ResolveServable keeps in memory.
  static constexpr size_t kDefaultRowCacheCapacity = 100000;
  // How long a cached row is used without reading the shared store again.
  // Changes made through this registry take effect at once; changes made
  // by another process that shares the store take up to this long.
  static constexpr absl::Duration kRowCacheTtl = absl::Seconds(30);

  // Both pointers must outlive the registry.
  TenantRegistry(SharedStore* shared_store, TenantCache* cache,
                 size_t row_cache_capacity = kDefaultRowCacheCapacity)
      : shared_store_(shared_store),
        cache_(cache),
        row_cache_capacity_(row_cache_capacity) {}

  // Sets the retention of soft-deleted tenants and request ids, which
  // must be positive. Call it before other threads use the registry.
  void set_retention(absl::Duration retention) { retention_ = retention; }
  absl::Duration retention() const { return retention_; }

  // Creates and migrates the tenant's database, then registers the tenant,
  // so a registered tenant always has a complete database. If registering
  // fails, the file is removed again. Returns INVALID_ARGUMENT for a
  // malformed id, ALREADY_EXISTS if it is registered (also when it is
  // soft-deleted), FAILED_PRECONDITION if an unregistered database file is
  // in the way, and the file or migration error if the database cannot be
  // made.
  //
  // With `request`, the create is recorded under its request_id. A repeat
  // of the same request returns the tenant it created, and a different
  // request under the same id gets ALREADY_EXISTS. A repeat after a create
  // that failed or crashed halfway finishes it, replacing the database
  // file that the first attempt may have left.
  absl::StatusOr<TenantRecord> Create(
      const TenantRecord& tenant,
      const std::optional<RequestKey>& request = std::nullopt);

  // Removes the tenant for good, like ForceDelete, and returns only the
  // status.
  absl::Status Delete(absl::string_view tenant_id,
                      std::optional<int64_t> expected_revision);

  // Removes the tenant's database files, then its row and with it the
  // tenant's API keys, whether the tenant is soft-deleted or not. If a
  // file cannot be removed, returns the error, which names the file, and
  // keeps the row, though the files before it may be gone. Once the cause
  // is fixed, a retry finishes the delete. Returns the tenant as it was,
  // with delete_time and purge_time set to now, NOT_FOUND, or ABORTED if
  // `expected_revision` is set and differs.
  absl::StatusOr<TenantRecord> ForceDelete(
      absl::string_view tenant_id, std::optional<int64_t> expected_revision);

  // Soft-deletes the tenant: sets delete_time to now and purge_time to now
  // plus the retention, and closes its open database. The row, the files
  // and the API keys stay. Returns the updated tenant, NOT_FOUND, ABORTED
  // if `expected_revision` is set and differs, or FAILED_PRECONDITION if
  // the tenant is already soft-deleted.
  absl::StatusOr<TenantRecord> SoftDelete(
      absl::string_view tenant_id, std::optional<int64_t> expected_revision);

  // Restores a soft-deleted tenant in the state it had before the delete.
  // Returns the updated tenant, NOT_FOUND if the tenant does not exist
  // (never created, or purged), ABORTED if `expected_revision` is set and
  // differs, or FAILED_PRECONDITION if the tenant is not soft-deleted or
  // its database file is missing.
  absl::StatusOr<TenantRecord> Undelete(
      absl::string_view tenant_id, std::optional<int64_t> expected_revision);

  // Purges one soft-deleted tenant: removes its database files, then its
  // row and API keys. Returns the tenant as it was just before, NOT_FOUND,
  // or FAILED_PRECONDITION if it is not soft-deleted or, unless
  // `before_purge_time`, if its purge_time is after `now`. A file that
  // cannot be removed fails the purge as in ForceDelete.
  absl::StatusOr<TenantRecord> Purge(absl::string_view tenant_id,
                                     absl::Time now, bool before_purge_time);

  // Purges every soft-deleted tenant whose purge_time is at or before
  // `options.now` (every one with `ignore_purge_time`), then deletes the
  // request records older than `options.now` minus the retention. One
  // tenant's failure does not stop the others; it is in the report.
  // Returns an error only if the tenants cannot be listed.
  absl::StatusOr<PurgeReport> PurgeExpired(const PurgeOptions& options);

  // Updates the tenant's row like SharedStore::UpdateTenant and drops it
  // from the row cache. Returns FAILED_PRECONDITION without calling
  // `mutation` if the tenant is soft-deleted.
  absl::StatusOr<TenantRecord> Update(absl::string_view tenant_id,
                                      const Mutation<TenantRecord>& mutation);

  // Returns the tenant if calls to it may be served: INVALID_ARGUMENT for a
  // malformed id, NOT_FOUND if it is not registered or soft-deleted,
  // FAILED_PRECONDITION if it is suspended. Reads the row from memory when
  // it was read less than kRowCacheTtl ago, so the hot path skips the
  // shared store.
  absl::StatusOr<TenantRecord> ResolveServable(absl::string_view tenant_id);

  // Returns the open database of a registered tenant; never creates one.
  absl::StatusOr<std::shared_ptr<TenantDatabase>> OpenDatabase(
      absl::string_view tenant_id);

  SharedStore* shared_store() const { return shared_store_; }
  TenantCache* cache() const { return cache_; }

 private:
  // Evicts the tenant's database, removes its files, then its row. On a
  // file error, keeps the row and returns the error, which names the file
  // and ends with `retry_hint`.
  absl::Status RemoveTenantLocked(absl::string_view tenant_id,
                                  absl::string_view retry_hint)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lifecycle_mutex_);

  // Create's steps for a create with a request_id.
  absl::StatusOr<TenantRecord> CreateForRequestLocked(
      const TenantRecord& tenant, const RequestKey& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lifecycle_mutex_);

  // Creates the tenant's database file and registers the tenant with
  // `register_tenant`; removes the file again if that fails.
  absl::StatusOr<TenantRecord> CreateFileAndRegister(
      const TenantRecord& tenant,
      const std::function<absl::StatusOr<TenantRecord>()>& register_tenant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(lifecycle_mutex_);

  SharedStore* const shared_store_;
  TenantCache* const cache_;
  absl::Duration retention_ = kDefaultRetention;
  // Held for writing by Create, the deletes, Undelete and the purges, and
  // for reading by OpenDatabase when a file is missing.
  absl::Mutex lifecycle_mutex_;

  struct CachedRow {
    TenantRecord tenant;
    absl::Time expire_time;
  };
  // Returns the row from the cache or the shared store.
  absl::StatusOr<TenantRecord> GetRow(absl::string_view tenant_id);
  void ForgetRow(absl::string_view tenant_id);

  const size_t row_cache_capacity_;
  absl::Mutex row_mutex_;
  absl::flat_hash_map<std::string, CachedRow> rows_ ABSL_GUARDED_BY(row_mutex_);
  // Incremented by every ForgetRow, so that a read of the shared store that
  // began before a change does not cache the old row.
  uint64_t row_changes_ ABSL_GUARDED_BY(row_mutex_) = 0;
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_TENANT_REGISTRY_H_
