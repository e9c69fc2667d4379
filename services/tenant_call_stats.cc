#include "services/tenant_call_stats.h"

#include <algorithm>
#include <limits>

#include "absl/hash/hash.h"

namespace tenantry::services {
namespace {

// Orders tenants by calls, most first, then by id, so that Busiest() picks
// the same tenants for equal counts.
struct BusierFirst {
  bool operator()(
      const std::pair<std::string, TenantCallStats::Counts>& a,
      const std::pair<std::string, TenantCallStats::Counts>& b) const {
    if (a.second.calls != b.second.calls) {
      return a.second.calls > b.second.calls;
    }
    return a.first < b.first;
  }
};

}  // namespace

TenantCallStats::TenantCallStats(size_t max_tenants)
    : max_tenants_per_shard_(std::max<size_t>(1, max_tenants / kShards)) {}

int64_t TenantCallStats::MinuteOf(absl::Time time) {
  const int64_t seconds = absl::ToUnixSeconds(time);
  // Rounds down also before 1970, so every minute has 60 seconds.
  return seconds >= 0 ? seconds / 60 : -((59 - seconds) / 60);
}

TenantCallStats::Shard& TenantCallStats::ShardOf(
    absl::string_view tenant_id) const {
  // The top bits: the hash table of a shard takes its probe positions and
  // control bytes from the low bits.
  static_assert(kShards == 16 && sizeof(size_t) == 8);
  return shards_[absl::HashOf(tenant_id) >> 60];
}

void TenantCallStats::SweepLocked(Shard& shard, int64_t minute) {
  if (minute <= shard.swept_minute) return;
  shard.swept_minute = minute;
  absl::erase_if(shard.series, [minute](const auto& entry) {
    return entry.second.last_minute <= minute - kMinutes;
  });
}

void TenantCallStats::Record(absl::string_view tenant_id, bool ok,
                             absl::Time now) {
  const int64_t minute = MinuteOf(now);
  Shard& shard = ShardOf(tenant_id);
  absl::MutexLock lock(&shard.mutex);
  SweepLocked(shard, minute);
  auto it = shard.series.find(tenant_id);
  if (it == shard.series.end()) {
    if (shard.series.size() >= max_tenants_per_shard_) {
      // Full: forget the tenant whose last call is oldest. This scans the
      // shard, but only when a new tenant arrives at a full shard.
      auto oldest =
          std::min_element(shard.series.begin(), shard.series.end(),
                           [](const auto& a, const auto& b) {
                             return a.second.last_minute < b.second.last_minute;
                           });
      shard.series.erase(oldest);
    }
    it = shard.series.emplace(std::string(tenant_id), Series()).first;
    it->second.last_minute = minute;
  }
  Series& series = it->second;
  if (minute > series.last_minute) {
    // Clears the slots of the minutes between the last call and this one,
    // which now hold this hour's minutes.
    const int64_t stale =
        std::min<int64_t>(minute - series.last_minute, kMinutes);
    for (int64_t m = minute - stale + 1; m <= minute; ++m) {
      const size_t slot =
          static_cast<size_t>(((m % kMinutes) + kMinutes) % kMinutes);
      series.calls[slot] = 0;
      series.errors[slot] = 0;
    }
    series.last_minute = minute;
  } else if (minute <= series.last_minute - kMinutes) {
    // Older than every slot, as when the clock stepped back an hour.
    return;
  }
  const size_t slot =
      static_cast<size_t>(((minute % kMinutes) + kMinutes) % kMinutes);
  // Saturates rather than wrapping, although 2^32 calls a minute is far
  // beyond what one server serves.
  if (series.calls[slot] < std::numeric_limits<uint32_t>::max()) {
    ++series.calls[slot];
    if (!ok) ++series.errors[slot];
  }
}

TenantCallStats::Counts TenantCallStats::CountsOf(const Series& series,
                                                  int64_t now_minute) {
  Counts counts;
  // The slot k minutes before the newest contains minute last_minute - k.
  for (int64_t k = 0; k < kMinutes; ++k) {
    const int64_t minute = series.last_minute - k;
    if (minute > now_minute) continue;
    if (minute <= now_minute - kMinutes) break;
    const size_t slot =
        static_cast<size_t>(((minute % kMinutes) + kMinutes) % kMinutes);
    counts.calls += series.calls[slot];
    counts.errors += series.errors[slot];
  }
  return counts;
}

TenantCallStats::Counts TenantCallStats::LastHour(absl::string_view tenant_id,
                                                  absl::Time now) const {
  const Shard& shard = ShardOf(tenant_id);
  absl::MutexLock lock(&shard.mutex);
  auto it = shard.series.find(tenant_id);
  if (it == shard.series.end()) return {};
  return CountsOf(it->second, MinuteOf(now));
}

std::vector<std::pair<std::string, TenantCallStats::Counts>>
TenantCallStats::Busiest(size_t limit, absl::Time now) const {
  std::vector<std::pair<std::string, Counts>> busiest;
  if (limit == 0) return busiest;
  const int64_t now_minute = MinuteOf(now);
  // A heap of the `limit` busiest so far with the least busy on top, so
  // that only tenants that enter it copy their id.
  const BusierFirst busier;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    for (const auto& [tenant_id, series] : shard.series) {
      const Counts counts = CountsOf(series, now_minute);
      if (counts.calls == 0) continue;
      if (busiest.size() == limit) {
        const auto& least = busiest.front();
        if (counts.calls < least.second.calls ||
            (counts.calls == least.second.calls && tenant_id > least.first)) {
          continue;
        }
        std::pop_heap(busiest.begin(), busiest.end(), busier);
        busiest.pop_back();
      }
      busiest.emplace_back(tenant_id, counts);
      std::push_heap(busiest.begin(), busiest.end(), busier);
    }
  }
  std::sort_heap(busiest.begin(), busiest.end(), busier);
  return busiest;
}

size_t TenantCallStats::tracked_tenants() const {
  size_t tracked = 0;
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mutex);
    tracked += shard.series.size();
  }
  return tracked;
}

}  // namespace tenantry::services
