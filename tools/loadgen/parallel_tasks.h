// Runs numbered setup tasks, such as creating users, on a few threads.

#ifndef TENANTRY_TOOLS_LOADGEN_PARALLEL_TASKS_H_
#define TENANTRY_TOOLS_LOADGEN_PARALLEL_TASKS_H_

#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tenantry::loadgen {

// Setup calls in flight at once in `loadgen prepare` and before a run.
inline constexpr int kSetupParallelism = 16;

// Runs task(0) .. task(count - 1) on `parallelism` threads. After the
// first failed task, no new task starts, and that task's error is
// returned. Prints "<what>: done/count" to stderr every second and at the
// end.
absl::Status RunParallelTasks(int64_t count, int parallelism,
                              absl::string_view what,
                              const std::function<absl::Status(int64_t)>& task);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_PARALLEL_TASKS_H_
