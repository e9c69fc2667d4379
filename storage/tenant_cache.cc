#include "storage/tenant_cache.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "storage/status_macros.h"

namespace tenantry::storage {

TenantCache::TenantCache(Options options) : options_(std::move(options)) {}

std::shared_ptr<TenantDatabase> TenantCache::Touch(LruList::iterator entry) {
  lru_.splice(lru_.begin(), lru_, entry);
  return *entry;
}

std::shared_ptr<TenantDatabase> TenantCache::FindLocked(
    absl::string_view tenant_id) {
  auto it = index_.find(tenant_id);
  if (it != index_.end()) return Touch(it->second);
  auto evicted = evicted_.find(tenant_id);
  if (evicted == evicted_.end()) return nullptr;
  std::shared_ptr<TenantDatabase> database = evicted->second.lock();
  evicted_.erase(evicted);
  if (database != nullptr) InsertLocked(database);
  return database;
}

void TenantCache::InsertLocked(std::shared_ptr<TenantDatabase> database) {
  const std::string tenant_id = database->tenant_id();
  lru_.push_front(std::move(database));
  index_.emplace(tenant_id, lru_.begin());
  const size_t capacity = std::max<size_t>(options_.capacity, 1);
  if (lru_.size() <= capacity) return;
  absl::erase_if(evicted_,
                 [](const auto& entry) { return entry.second.expired(); });
  while (lru_.size() > capacity) {
    std::shared_ptr<TenantDatabase>& oldest = lru_.back();
    index_.erase(oldest->tenant_id());
    // A weak reference: only calls that still use the database keep it
    // open.
    evicted_[oldest->tenant_id()] = oldest;
    lru_.pop_back();
    ++stats_.evictions;
  }
}

absl::StatusOr<std::shared_ptr<TenantDatabase>> TenantCache::Get(
    absl::string_view tenant_id) {
  int64_t generation;
  {
    absl::MutexLock lock(&mutex_);
    generation = generation_;
    if (std::shared_ptr<TenantDatabase> found = FindLocked(tenant_id)) {
      ++stats_.hits;
      return found;
    }
    ++stats_.misses;
  }

  // Open outside the lock so that a slow open does not stall calls to
  // other tenants.
  TENANTRY_ASSIGN_OR_RETURN(
      std::shared_ptr<TenantDatabase> opened,
      TenantDatabase::Open(std::string(tenant_id),
                           TenantDatabasePath(options_.data_dir, tenant_id),
                           options_.connection));

  absl::MutexLock lock(&mutex_);
  if (std::shared_ptr<TenantDatabase> found = FindLocked(tenant_id)) {
    // Another call opened it meanwhile; keep one connection per tenant.
    return found;
  }
  if (generation != generation_) {
    // An Evict() ran while the file was being opened, so the file may be
    // gone or replaced. Serve this call but do not cache the connection.
    return opened;
  }
  InsertLocked(opened);
  return opened;
}

void TenantCache::Evict(absl::string_view tenant_id) {
  absl::MutexLock lock(&mutex_);
  ++generation_;
  evicted_.erase(tenant_id);
  auto it = index_.find(tenant_id);
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

void TenantCache::EvictIfFileChanged(absl::string_view tenant_id) {
  std::shared_ptr<TenantDatabase> database;
  {
    absl::MutexLock lock(&mutex_);
    auto it = index_.find(tenant_id);
    if (it == index_.end()) return;
    database = *it->second;
  }
  // stat() runs outside the lock; an Evict() meanwhile is harmless.
  if (database->IsFileAt()) return;
  Evict(tenant_id);
}

size_t TenantCache::size() const {
  absl::MutexLock lock(&mutex_);
  return lru_.size();
}

TenantCache::Stats TenantCache::stats() const {
  absl::MutexLock lock(&mutex_);
  Stats stats = stats_;
  stats.open_databases = static_cast<int64_t>(lru_.size());
  for (const auto& [tenant_id, database] : evicted_) {
    if (!database.expired()) ++stats.open_databases;
  }
  return stats;
}

}  // namespace tenantry::storage
