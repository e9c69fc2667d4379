#include "services/metrics_sources.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "storage/postgres_shared_store.h"
#include "storage/tenant_database.h"

namespace tenantry::services {
namespace {

// Writes a family with one series and no labels.
void WriteSingle(MetricsWriter& writer, absl::string_view name,
                 absl::string_view help, MetricType type, double value) {
  writer.BeginFamily(name, help, type);
  writer.WriteSample(name, {}, value);
}

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream file(path);
  if (!file.is_open()) return std::nullopt;
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

// Resident set size from /proc/self/statm, whose second field counts pages.
std::optional<double> ResidentMemoryBytes() {
  const std::optional<std::string> statm = ReadFile("/proc/self/statm");
  if (!statm) return std::nullopt;
  const std::vector<absl::string_view> fields =
      absl::StrSplit(*statm, ' ', absl::SkipWhitespace());
  int64_t pages = 0;
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[1], &pages)) {
    return std::nullopt;
  }
  return static_cast<double>(pages) *
         static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Entries of /proc/self/fd, without the descriptor that reads the directory.
std::optional<double> OpenFileDescriptors() {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return std::nullopt;
  const std::string own = std::to_string(dirfd(directory));
  int64_t count = 0;
  while (const dirent* entry = readdir(directory)) {
    const absl::string_view name = entry->d_name;
    if (name == "." || name == ".." || name == own) continue;
    ++count;
  }
  closedir(directory);
  return static_cast<double>(count);
}

// Seconds since the Unix epoch at which the process started: its start in
// clock ticks after boot (/proc/self/stat, field 22) plus the boot time
// (btime in /proc/stat).
std::optional<double> StartTimeSeconds() {
  const std::optional<std::string> stat = ReadFile("/proc/self/stat");
  const std::optional<std::string> system_stat = ReadFile("/proc/stat");
  if (!stat || !system_stat) return std::nullopt;
  // The command name in field 2 is in parentheses and may hold spaces, so
  // the fields are counted from the last ')'.
  const size_t name_end = stat->rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(name_end + 1), ' ',
                     absl::SkipWhitespace());
  // fields[0] is field 3, so field 22 is fields[19].
  int64_t start_ticks = 0;
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &start_ticks)) {
    return std::nullopt;
  }
  int64_t boot_time = -1;
  for (absl::string_view line : absl::StrSplit(*system_stat, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      if (!absl::SimpleAtoi(line, &boot_time)) return std::nullopt;
      break;
    }
  }
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  if (boot_time < 0 || ticks_per_second <= 0) return std::nullopt;
  return static_cast<double>(boot_time) +
         static_cast<double>(start_ticks) /
             static_cast<double>(ticks_per_second);
}

}  // namespace

void AddTenantCacheMetrics(MetricsRegistry& registry,
                           const storage::TenantCache* cache) {
  registry.AddCollector([cache](MetricsWriter& writer) {
    const storage::TenantCache::Stats stats = cache->stats();
    WriteSingle(writer, "tenantry_tenant_databases_open",
                "Tenant databases open now: the cached ones and the evicted "
                "ones that calls still use.",
                MetricType::kGauge, static_cast<double>(stats.open_databases));
    WriteSingle(writer, "tenantry_tenant_cache_capacity",
                "Tenant databases the cache keeps open at most "
                "(--tenant_cache_size).",
                MetricType::kGauge,
                static_cast<double>(cache->options().capacity));
    WriteSingle(writer, "tenantry_tenant_cache_hits_total",
                "Tenant database lookups that found the database open.",
                MetricType::kCounter, static_cast<double>(stats.hits));
    WriteSingle(writer, "tenantry_tenant_cache_misses_total",
                "Tenant database lookups that had to open the database.",
                MetricType::kCounter, static_cast<double>(stats.misses));
    WriteSingle(writer, "tenantry_tenant_cache_evictions_total",
                "Tenant databases closed to make room in the cache.",
                MetricType::kCounter, static_cast<double>(stats.evictions));
  });
}

void AddGroupCommitMetrics(MetricsRegistry& registry) {
  registry.AddCollector([](MetricsWriter& writer) {
    const storage::GroupCommitStats stats = storage::GetGroupCommitStats();
    HistogramSnapshot histogram;
    int64_t total = 0;
    for (size_t i = 0; i < stats.commits_by_size.size(); ++i) {
      histogram.bounds.push_back(
          static_cast<double>(storage::GroupCommitStats::kSizeBounds[i]));
      total += stats.commits_by_size[i];
      histogram.cumulative_counts.push_back(total);
    }
    // No group commit is larger than the last bound.
    histogram.cumulative_counts.push_back(total);
    histogram.count = total;
    histogram.sum = static_cast<double>(stats.writes);
    writer.BeginFamily("tenantry_group_commit_writes",
                       "Writes per group commit of a tenant database: "
                       "writes that waited at the same time and were "
                       "committed in one transaction.",
                       MetricType::kHistogram);
    writer.WriteHistogram("tenantry_group_commit_writes", {}, histogram);
    WriteSingle(writer, "tenantry_tenant_writes_queued",
                "Writes to tenant databases that wait for their group "
                "commit now.",
                MetricType::kGauge, static_cast<double>(stats.queued_writes));
  });
}

void AddSharedStoreMetrics(MetricsRegistry& registry,
                           storage::SharedStore* store) {
  auto* postgres = dynamic_cast<storage::PostgresSharedStore*>(store);
  if (postgres == nullptr) {
    registry.AddCollector([](MetricsWriter& writer) {
      WriteSingle(writer, "tenantry_shared_store_connections_open",
                  "Connections to the shared store open now.",
                  MetricType::kGauge, 1);
      WriteSingle(writer, "tenantry_shared_store_connections_max",
                  "Connections to the shared store open at most.",
                  MetricType::kGauge, 1);
    });
    return;
  }
  storage::PostgresPool* pool = &postgres->pool();
  registry.AddCollector([pool](MetricsWriter& writer) {
    const storage::PostgresPool::Stats stats = pool->stats();
    WriteSingle(writer, "tenantry_shared_store_connections_open",
                "Connections to the shared store open now.", MetricType::kGauge,
                static_cast<double>(stats.open));
    WriteSingle(writer, "tenantry_shared_store_connections_max",
                "Connections to the shared store open at most "
                "(--shared_db_pool_size).",
                MetricType::kGauge, static_cast<double>(pool->options().size));
    WriteSingle(writer, "tenantry_shared_store_connections_in_use",
                "Connections to the shared store that a call uses now.",
                MetricType::kGauge, static_cast<double>(stats.in_use));
    WriteSingle(writer, "tenantry_shared_store_connection_waits_total",
                "Times a call found every shared-store connection in use "
                "and waited for one.",
                MetricType::kCounter, static_cast<double>(stats.waits));
    WriteSingle(writer, "tenantry_shared_store_connection_wait_timeouts_total",
                "Waits for a shared-store connection that timed out, "
                "failing the call with UNAVAILABLE.",
                MetricType::kCounter, static_cast<double>(stats.wait_timeouts));
  });
}

void AddProcessMetrics(MetricsRegistry& registry) {
  registry.AddCollector([](MetricsWriter& writer) {
    if (const std::optional<double> bytes = ResidentMemoryBytes()) {
      WriteSingle(writer, "tenantry_process_resident_memory_bytes",
                  "Resident memory of the server process, in bytes.",
                  MetricType::kGauge, *bytes);
    }
    if (const std::optional<double> fds = OpenFileDescriptors()) {
      WriteSingle(writer, "tenantry_process_open_fds",
                  "File descriptors the server process has open.",
                  MetricType::kGauge, *fds);
    }
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
        limit.rlim_cur != RLIM_INFINITY) {
      WriteSingle(writer, "tenantry_process_max_fds",
                  "File descriptors the server process may open "
                  "(RLIMIT_NOFILE).",
                  MetricType::kGauge, static_cast<double>(limit.rlim_cur));
    }
    rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
      const double seconds =
          static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
          static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
              1e6;
      WriteSingle(writer, "tenantry_process_cpu_seconds_total",
                  "User and system CPU time of the server process, in "
                  "seconds.",
                  MetricType::kCounter, seconds);
    }
    if (const std::optional<double> start = StartTimeSeconds()) {
      WriteSingle(writer, "tenantry_process_start_time_seconds",
                  "Start time of the server process, in seconds since the "
                  "Unix epoch.",
                  MetricType::kGauge, *start);
    }
  });
}

void AddBusiestTenantMetrics(MetricsRegistry& registry,
                             const TenantCallStats* stats, size_t top) {
  registry.AddCollector([stats, top](MetricsWriter& writer) {
    const std::vector<std::pair<std::string, TenantCallStats::Counts>> busiest =
        stats->Busiest(top);
    writer.BeginFamily("tenantry_tenant_calls_last_hour",
                       "Calls to tenant-scoped services in the last hour, "
                       "for the tenants with the most such calls "
                       "(--metrics_top_tenants).",
                       MetricType::kGauge);
    for (const auto& [tenant_id, counts] : busiest) {
      writer.WriteSample("tenantry_tenant_calls_last_hour",
                         {{"tenant", tenant_id}},
                         static_cast<double>(counts.calls));
    }
    writer.BeginFamily("tenantry_tenant_errors_last_hour",
                       "Calls of tenantry_tenant_calls_last_hour that ended "
                       "with a status other than OK.",
                       MetricType::kGauge);
    for (const auto& [tenant_id, counts] : busiest) {
      writer.WriteSample("tenantry_tenant_errors_last_hour",
                         {{"tenant", tenant_id}},
                         static_cast<double>(counts.errors));
    }
  });
}

}  // namespace tenantry::services
