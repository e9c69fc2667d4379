#ifndef TENANTRY_STORAGE_TENANT_REGISTRY_H_
#define TENANTRY_STORAGE_TENANT_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/records.h"
#include "storage/shared_store.h"
#include "storage/tenant_cache.h"

namespace tenantry::storage {

// Keeps the tenant rows in the shared store and the tenant database files
// in step, and resolves tenant ids for calls. Thread-safe; creates and
// deletes run one at a time.
class TenantRegistry {
 public:
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

  // Creates and migrates the tenant's database, then registers the tenant,
  // so a registered tenant always has a complete database. If registering
  // fails, the file is removed again. Returns INVALID_ARGUMENT for a
  // malformed id, ALREADY_EXISTS if it is registered, FAILED_PRECONDITION
  // if an unregistered database file is in the way, and the file or
  // migration error if the database cannot be made.
  absl::StatusOr<TenantRecord> Create(const TenantRecord& tenant);

  // Removes the tenant's database files, then its row. If a file cannot be
  // removed, returns the error, which names the file, and keeps the row,
  // though the files before it may be gone; once the cause is fixed, a
  // retry finishes the delete. Returns NOT_FOUND, or ABORTED if
  // `expected_revision` is set and differs.
  absl::Status Delete(absl::string_view tenant_id,
                      std::optional<int64_t> expected_revision);

  // Updates the tenant's row like SharedStore::UpdateTenant and drops it
  // from the row cache.
  absl::StatusOr<TenantRecord> Update(absl::string_view tenant_id,
                                      const Mutation<TenantRecord>& mutation);

  // Returns the tenant if calls to it may be served: INVALID_ARGUMENT for a
  // malformed id, NOT_FOUND if it is not registered, FAILED_PRECONDITION
  // if it is suspended. Reads the row from memory when it was read less
  // than kRowCacheTtl ago, so the hot path skips the shared store.
  absl::StatusOr<TenantRecord> ResolveServable(absl::string_view tenant_id);

  // Returns the open database of a registered tenant; never creates one.
  absl::StatusOr<std::shared_ptr<TenantDatabase>> OpenDatabase(
      absl::string_view tenant_id);

  SharedStore* shared_store() const { return shared_store_; }
  TenantCache* cache() const { return cache_; }

 private:
  SharedStore* const shared_store_;
  TenantCache* const cache_;
  // Held for writing by Create and Delete, and for reading by
  // OpenDatabase when a file is missing.
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
