#ifndef TENANTRY_STORAGE_TENANT_CACHE_H_
#define TENANTRY_STORAGE_TENANT_CACHE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/sqlite.h"
#include "storage/tenant_database.h"

namespace tenantry::storage {

// A bounded least-recently-used cache of open tenant databases, each with
// its prepared statements. Thread-safe. A database that the cache evicts
// to make room closes when the last call still using it lets go, so the
// number of open files may briefly exceed the capacity by the number of
// calls in flight. Until then Get() returns that same database, so that a
// tenant has one connection at a time and its writers take turns instead
// of waiting for SQLite's lock.
class TenantCache {
 public:
  struct Options {
    std::string data_dir;
    // Maximum number of databases kept open, at least 1.
    size_t capacity = 64;
    SqliteConnection::Options connection;
  };

  struct Stats {
    int64_t hits = 0;
    int64_t misses = 0;
    int64_t evictions = 0;
    // Databases open now: the cached ones and the evicted ones that calls
    // still use. Filled in by stats().
    int64_t open_databases = 0;
  };

  explicit TenantCache(Options options);

  // Returns the open database of `tenant_id`, opening it on a miss and
  // evicting the least recently used one if the cache is full. Never
  // creates a file: returns NOT_FOUND if the database does not exist, and
  // the errors of TenantDatabase::Open. `tenant_id` must be valid.
  absl::StatusOr<std::shared_ptr<TenantDatabase>> Get(
      absl::string_view tenant_id);

  // Drops the tenant's database from the cache, if present, and forgets it
  // even while calls still use it: the next Get() opens the file anew.
  // Call it when the file is removed or replaced.
  void Evict(absl::string_view tenant_id);

  // Evicts the tenant's open database if its file was removed or replaced
  // by another process since it was opened.
  void EvictIfFileChanged(absl::string_view tenant_id);

  size_t size() const;
  Stats stats() const;
  const Options& options() const { return options_; }

 private:
  using LruList = std::list<std::shared_ptr<TenantDatabase>>;

  // Moves the entry to the front of the LRU list and returns it.
  std::shared_ptr<TenantDatabase> Touch(LruList::iterator entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Returns the tenant's database from the LRU list, or one evicted from
  // it that a call still uses, which goes back on the list. Returns null
  // if there is neither.
  std::shared_ptr<TenantDatabase> FindLocked(absl::string_view tenant_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Puts `database` at the front of the LRU list and evicts the least
  // recently used databases beyond the capacity.
  void InsertLocked(std::shared_ptr<TenantDatabase> database)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const Options options_;
  mutable absl::Mutex mutex_;
  // Most recently used first.
  LruList lru_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, LruList::iterator> index_
      ABSL_GUARDED_BY(mutex_);
  // Databases evicted to make room, by tenant id, while calls may still
  // use them. Expired entries are dropped on the next eviction.
  absl::flat_hash_map<std::string, std::weak_ptr<TenantDatabase>> evicted_
      ABSL_GUARDED_BY(mutex_);
  Stats stats_ ABSL_GUARDED_BY(mutex_);
  // Incremented by every Evict(), so that Get() does not cache a database
  // opened before an eviction finished.
  int64_t generation_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_TENANT_CACHE_H_
