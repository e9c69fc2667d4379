#ifndef TENANTRY_SERVICES_TENANT_CALL_STATS_H_
#define TENANTRY_SERVICES_TENANT_CALL_STATS_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tenantry::services {

// Counts the calls to tenant-scoped services per tenant over the last hour,
// in one-minute buckets, for GetTenantUsage and the metrics endpoint.
// Thread-safe.
//
// The last hour is the current minute of the Unix clock and the 59 before
// it. A tenant without calls in the last hour is forgotten within a minute.
// At most `max_tenants` tenants are tracked. A new tenant beyond that
// replaces the tenant whose last call is oldest. Once that many tenants are
// active within an hour, the counts of the least active ones may be low.
class TenantCallStats {
 public:
  struct Counts {
    int64_t calls = 0;
    // Calls that ended with a status other than OK.
    int64_t errors = 0;
  };

  // About 500 bytes per tracked tenant, so about 10 MB at the default.
  static constexpr size_t kDefaultMaxTenants = 20000;

  TenantCallStats() : TenantCallStats(kDefaultMaxTenants) {}
  explicit TenantCallStats(size_t max_tenants);

  // Records one finished call of `tenant_id`.
  void Record(absl::string_view tenant_id, bool ok,
              absl::Time now = absl::Now());

  // The calls of `tenant_id` in the 60 minutes before `now`.
  Counts LastHour(absl::string_view tenant_id,
                  absl::Time now = absl::Now()) const;

  // Up to `limit` tenants with the most calls in the last hour, most first.
  std::vector<std::pair<std::string, Counts>> Busiest(
      size_t limit, absl::Time now = absl::Now()) const;

  // Tenants tracked now, including ones idle for an hour that are not yet
  // forgotten.
  size_t tracked_tenants() const;

 private:
  static constexpr int kMinutes = 60;
  // Independent locks, so that calls of different tenants rarely wait for
  // each other in Record().
  static constexpr size_t kShards = 16;

  // One tenant's calls per minute, in a ring indexed by the minute modulo
  // kMinutes. The slots hold the minutes last_minute - 59 to last_minute.
  struct Series {
    int64_t last_minute = 0;
    std::array<uint32_t, kMinutes> calls{};
    std::array<uint32_t, kMinutes> errors{};
  };

  struct Shard {
    mutable absl::Mutex mutex;
    absl::node_hash_map<std::string, Series> series ABSL_GUARDED_BY(mutex);
    // The minute of the last removal of idle tenants.
    int64_t swept_minute ABSL_GUARDED_BY(mutex) = 0;
  };

  static int64_t MinuteOf(absl::Time time);
  static Counts CountsOf(const Series& series, int64_t now_minute);

  Shard& ShardOf(absl::string_view tenant_id) const;
  // Forgets the tenants of `shard` without calls in the hour before
  // `minute`. Returns at once if the shard was swept in this minute.
  static void SweepLocked(Shard& shard, int64_t minute)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mutex);

  const size_t max_tenants_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_TENANT_CALL_STATS_H_
