// `loadgen run`: a closed-loop load generator. Each of --concurrency
// threads makes one blocking call at a time and starts the next as soon
// as the previous one returns.

#ifndef TENANTRY_TOOLS_LOADGEN_RUN_H_
#define TENANTRY_TOOLS_LOADGEN_RUN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/loadgen/client.h"
#include "tools/loadgen/latency_recorder.h"
#include "tools/loadgen/manifest.h"

namespace tenantry::loadgen {

enum class Method {
  kGetProfile,
  kCreateProfile,
  kListProfiles,
  kCreateDocument,
  kGetDocument,
  kHealth,
  kEmpty,
};

// Parses a --method value such as "GetProfile".
absl::StatusOr<Method> ParseMethod(absl::string_view name);
std::string MethodName(Method method);
// Whether calls of `method` send x-tenant-id and need a manifest.
bool IsTenantScoped(Method method);

enum class Distribution { kUniform, kZipf };

struct RunOptions {
  std::string target;
  Method method = Method::kHealth;
  int connections = 1;
  int concurrency = 8;
  // Recorded calls after which the run stops; 0 means no limit.
  int64_t calls = 0;
  // Measured time after which the run stops; zero means no limit.
  absl::Duration duration;
  absl::Duration warmup;
  // Interval of progress lines on stderr; zero means none.
  absl::Duration progress;
  // The run, including connecting and creating spare users, ends at
  // `start + max_duration`.
  absl::Duration max_duration;
  Clock::time_point start;
  // Tenants of the manifest to call, counted from the first; 0 means all.
  int tenant_count = 0;
  Distribution distribution = Distribution::kUniform;
  // Exponent s of the Zipf distribution: tenant k (from 1) is picked with
  // a probability proportional to 1 / k^s.
  double zipf_s = 1.0;
  int64_t document_bytes = 4096;
  int page_size = 50;
  // Users created for CreateProfile before the warm-up; 0 means --calls
  // plus the warm-up share.
  int64_t spare_users = 0;
  std::string label;
  // Sent as `authorization: Bearer <api_key>` unless empty.
  std::string api_key;
  Manifest manifest;
};

// The condition that ended a run.
enum class StopReason {
  kCalls,        // --calls calls were recorded
  kDuration,     // --duration passed
  kMaxDuration,  // --max_duration passed first
  kSpareUsers,   // CreateProfile used up its spare users
};
std::string StopReasonName(StopReason reason);

struct RunResult {
  LatencySummary latency;
  // Time from the end of the warm-up to the end of the last recorded call.
  double seconds = 0;
  // Recorded calls per second of `seconds`.
  double throughput = 0;
  // Number of manifest tenants called; 0 for Health and Empty.
  int tenants = 0;
  StopReason stop_reason = StopReason::kCalls;
  int64_t warmup_calls = 0;
  int64_t warmup_failures = 0;
  // Calls cut off by --max_duration, not recorded.
  int64_t cut_off_calls = 0;
  int64_t spare_users = 0;
};

// Checks the options against the manifest, creates spare users for
// CreateProfile, then runs the warm-up and the measurement. Fails only if
// the run could not start; failed calls are counted in the result.
absl::StatusOr<RunResult> RunLoad(const RunOptions& options);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_RUN_H_
