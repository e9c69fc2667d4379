#include "storage/tenant_cache.h"

#include <algorithm>
#include <utility>

#include "storage/status_macros.h"

namespace tenantry::storage {

TenantCache::TenantCache(Options options) : options_(std::move(options)) {}

std::shared_ptr<TenantDatabase> TenantCache::Touch(LruList::iterator entry) {
  lru_.splice(lru_.begin(), lru_, entry);
  return *entry;
}

absl::StatusOr<std::shared_ptr<TenantDatabase>> TenantCache::Get(
    absl::string_view tenant_id) {
  int64_t generation;
  {
    absl::MutexLock lock(&mutex_);
    generation = generation_;
    auto it = index_.find(tenant_id);
    if (it != index_.end()) {
      ++stats_.hits;
      return Touch(it->second);
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
  auto it = index_.find(tenant_id);
  if (it != index_.end()) {
    // Another call opened it meanwhile; keep one connection per tenant.
    return Touch(it->second);
  }
  if (generation != generation_) {
    // An Evict() ran while the file was being opened, so the file may be
    // gone or replaced. Serve this call but do not cache the connection.
    return opened;
  }
  lru_.push_front(opened);
  index_.emplace(std::string(tenant_id), lru_.begin());
  const size_t capacity = std::max<size_t>(options_.capacity, 1);
  while (lru_.size() > capacity) {
    index_.erase(lru_.back()->tenant_id());
    lru_.pop_back();
    ++stats_.evictions;
  }
  return opened;
}

void TenantCache::Evict(absl::string_view tenant_id) {
  absl::MutexLock lock(&mutex_);
  ++generation_;
  auto it = index_.find(tenant_id);
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

size_t TenantCache::size() const {
  absl::MutexLock lock(&mutex_);
  return lru_.size();
}

TenantCache::Stats TenantCache::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

}  // namespace tenantry::storage
