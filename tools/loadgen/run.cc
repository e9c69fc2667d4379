#include "tools/loadgen/run.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "tenantry/v1/user.grpc.pb.h"
#include "tools/loadgen/callers.h"
#include "tools/loadgen/parallel_tasks.h"
#include "tools/loadgen/resources.h"

namespace tenantry::loadgen {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);

constexpr auto kDeadlineTolerance = std::chrono::milliseconds(100);

// CreateProfile warm-up calls per in-flight call, each with a new user.
constexpr int64_t kWarmupUsersPerStream = 10;

Clock::duration ToClockDuration(absl::Duration duration) {
  return std::chrono::duration_cast<Clock::duration>(
      absl::ToChronoNanoseconds(duration));
}

// Counters one worker updates and the progress thread reads. Aligned to
// a cache line so that workers do not slow each other down.
struct alignas(64) WorkerCounters {
  std::atomic<int64_t> warmup_calls{0};
  std::atomic<int64_t> warmup_failures{0};
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> failures{0};
  std::atomic<int64_t> cut_off_calls{0};
};

// The time points of a run, set before the workers start.
struct RunClock {
  Clock::time_point measure_start;
  // Clock::time_point::max() without --duration.
  Clock::time_point measure_end;
  // The end of --max_duration.
  Clock::time_point deadline;
};

struct WorkerResult {
  Clock::time_point last_end;
  bool reached_deadline = false;
  bool ran_out_of_users = false;
};

// Validates the options against the manifest and returns the tenants to
// call.
absl::StatusOr<std::vector<const ManifestTenant*>> SelectTenants(
    const RunOptions& options) {
  const Manifest& manifest = options.manifest;
  if (manifest.tenants.empty()) {
    return absl::InvalidArgumentError(
        "--manifest lists no tenants. Run `loadgen prepare --tenants=N` "
        "with N above 0");
  }
  const int available = static_cast<int>(manifest.tenants.size());
  if (options.tenant_count > available) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tenants=", options.tenant_count, " exceeds the ", available,
        " tenants of --manifest. Use --tenants=all or a smaller number"));
  }
  const int count =
      options.tenant_count == 0 ? available : options.tenant_count;
  std::vector<const ManifestTenant*> tenants;
  for (int i = 0; i < count; ++i) {
    const ManifestTenant& tenant = manifest.tenants[i];
    if (options.method == Method::kGetProfile && tenant.profiles.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tenant ", tenant.id,
          " has no profiles in --manifest, and GetProfile needs them. Run "
          "`loadgen prepare` with --profiles above 0"));
    }
    if (options.method == Method::kGetDocument && tenant.documents.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tenant ", tenant.id,
          " has no documents in --manifest, and GetDocument needs them. Run "
          "`loadgen prepare` with --documents above 0"));
    }
    tenants.push_back(&tenant);
  }
  return tenants;
}

// Creates the users that CreateProfile calls give profiles to.
absl::StatusOr<std::vector<std::string>> CreateSpareUsers(
    const RunOptions& options, int64_t count, Clock::time_point deadline) {
  std::vector<std::string> users(count);
  const auto channels = CreateChannels(options.target, 1);
  const auto stub = v1::UserService::NewStub(channels[0]);
  absl::BitGen random;
  const std::string run_token =
      absl::StrFormat("%08x", absl::Uniform<uint32_t>(random));
  const absl::Status status = RunParallelTasks(
      count, kSetupParallelism, "spare users for CreateProfile",
      [&](int64_t i) -> absl::Status {
        const Clock::time_point call_deadline =
            std::min(deadline, Clock::now() + kSetupCallTimeout);
        absl::StatusOr<std::string> user =
            CreateUser(*stub, options.api_key,
                       absl::StrFormat("loadgen-%s-spare-%d", run_token, i),
                       call_deadline);
        if (!user.ok()) return user.status();
        users[i] = *std::move(user);
        return absl::OkStatus();
      });
  if (!status.ok()) {
    const bool timed_out =
        absl::StrContains(status.message(), "DEADLINE_EXCEEDED");
    return absl::Status(
        status.code(),
        absl::StrCat(
            "creating ", count,
            " spare users for CreateProfile failed: ", status.message(),
            timed_out ? ". --max_duration includes creating them; "
                        "raise it or lower --calls or --spare_users"
                      : ""));
  }
  return users;
}

void RunWorker(Caller& caller, const RunOptions& options,
               const RunClock& run_clock, absl::Notification& start,
               std::atomic<int64_t>& tickets, LatencyRecorder& recorder,
               WorkerCounters& counters, WorkerResult& result) {
  start.WaitForNotification();
  while (true) {
    const Clock::time_point now = Clock::now();
    if (now >= run_clock.deadline) {
      result.reached_deadline = true;
      return;
    }
    const bool warmup = now < run_clock.measure_start;
    if (!warmup) {
      if (now >= run_clock.measure_end) return;
      if (options.calls > 0 && tickets.fetch_add(1) >= options.calls) return;
    }
    if (!caller.Prepare(warmup)) {
      if (!warmup) {
        result.ran_out_of_users = true;
        return;
      }
      // The warm-up took its share of the spare users.
      std::this_thread::sleep_until(
          std::min(run_clock.measure_start, run_clock.deadline));
      continue;
    }

    const Clock::time_point call_start = Clock::now();
    const grpc::Status status = caller.Invoke();
    const Clock::time_point call_end = Clock::now();

    // gRPC's monotonic clock and Clock may differ by a little, so a call
    // cut off at the deadline may end just before it by Clock.
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
        call_end + kDeadlineTolerance >= run_clock.deadline) {
      // --max_duration cut the call off; the server did not fail it.
      counters.cut_off_calls.fetch_add(1, std::memory_order_relaxed);
      result.reached_deadline = true;
      return;
    }
    if (warmup) {
      counters.warmup_calls.fetch_add(1, std::memory_order_relaxed);
      if (!status.ok()) {
        counters.warmup_failures.fetch_add(1, std::memory_order_relaxed);
      }
      continue;
    }
    recorder.Record(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        call_end - call_start)
                        .count(),
                    status);
    result.last_end = std::max(result.last_end, call_end);
    counters.calls.fetch_add(1, std::memory_order_relaxed);
    if (!status.ok()) counters.failures.fetch_add(1, std::memory_order_relaxed);
  }
}

// Prints a progress line to stderr every `interval` until `finished`.
void PrintProgress(absl::Duration interval, const RunClock& run_clock,
                   Clock::time_point run_start,
                   const std::vector<WorkerCounters>& counters,
                   absl::Notification& finished) {
  int64_t previous_total = 0;
  Clock::time_point previous_time = run_start;
  while (!finished.WaitForNotificationWithTimeout(interval)) {
    const Clock::time_point now = Clock::now();
    int64_t warmup_calls = 0;
    int64_t warmup_failures = 0;
    int64_t calls = 0;
    int64_t failures = 0;
    for (const WorkerCounters& worker : counters) {
      warmup_calls += worker.warmup_calls.load(std::memory_order_relaxed);
      warmup_failures += worker.warmup_failures.load(std::memory_order_relaxed);
      calls += worker.calls.load(std::memory_order_relaxed);
      failures += worker.failures.load(std::memory_order_relaxed);
    }
    const int64_t total = warmup_calls + calls;
    const double seconds =
        std::chrono::duration<double>(now - previous_time).count();
    const double rate =
        seconds > 0 ? static_cast<double>(total - previous_total) / seconds : 0;
    const double elapsed =
        std::chrono::duration<double>(now - run_start).count();
    const bool warmup = now < run_clock.measure_start;
    std::cerr << absl::StrFormat(
        "loadgen: %.1fs %s: %d calls, %.1f calls/s, %d errors\n", elapsed,
        warmup ? "warm-up" : "measuring", warmup ? warmup_calls : calls, rate,
        warmup ? warmup_failures : failures);
    previous_total = total;
    previous_time = now;
  }
}

}  // namespace

absl::StatusOr<Method> ParseMethod(absl::string_view name) {
  for (const Method method :
       {Method::kGetProfile, Method::kCreateProfile, Method::kListProfiles,
        Method::kCreateDocument, Method::kGetDocument, Method::kHealth,
        Method::kEmpty}) {
    if (name == MethodName(method)) return method;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--method=", name,
      " is not a known method. Use one of GetProfile, CreateProfile, "
      "ListProfiles, CreateDocument, GetDocument, Health, Empty"));
}

std::string MethodName(Method method) {
  switch (method) {
    case Method::kGetProfile:
      return "GetProfile";
    case Method::kCreateProfile:
      return "CreateProfile";
    case Method::kListProfiles:
      return "ListProfiles";
    case Method::kCreateDocument:
      return "CreateDocument";
    case Method::kGetDocument:
      return "GetDocument";
    case Method::kHealth:
      return "Health";
    case Method::kEmpty:
      return "Empty";
  }
  return "unknown";
}

bool IsTenantScoped(Method method) {
  return method != Method::kHealth && method != Method::kEmpty;
}

std::string StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kCalls:
      return "calls";
    case StopReason::kDuration:
      return "duration";
    case StopReason::kMaxDuration:
      return "max_duration";
    case StopReason::kSpareUsers:
      return "spare_users";
  }
  return "unknown";
}

absl::StatusOr<RunResult> RunLoad(const RunOptions& options) {
  RunResult result;
  RunClock run_clock;
  run_clock.deadline = options.start + ToClockDuration(options.max_duration);

  CallPlan plan;
  plan.deadline = run_clock.deadline;
  plan.api_key = options.api_key;
  plan.page_size = options.page_size;
  if (IsTenantScoped(options.method)) {
    absl::StatusOr<std::vector<const ManifestTenant*>> tenants =
        SelectTenants(options);
    if (!tenants.ok()) return tenants.status();
    plan.tenants = *std::move(tenants);
    result.tenants = static_cast<int>(plan.tenants.size());
    plan.picker = std::make_unique<TenantPicker>(
        result.tenants, options.distribution, options.zipf_s);
  }
  if (options.method == Method::kCreateDocument) {
    plan.document_content = DocumentContent(options.document_bytes);
  }

  const auto channels = CreateChannels(options.target, options.connections);
  const absl::Status connected = WaitForChannels(
      channels, options.target,
      std::min(run_clock.deadline, Clock::now() + kConnectTimeout));
  if (!connected.ok()) return connected;

  std::unique_ptr<UserPool> user_pool;
  if (options.method == Method::kCreateProfile) {
    const int64_t warmup_share =
        options.warmup > absl::ZeroDuration()
            ? kWarmupUsersPerStream * options.concurrency
            : 0;
    const int64_t count = options.spare_users > 0
                              ? options.spare_users
                              : options.calls + warmup_share;
    // With --calls, the warm-up leaves enough users for the measured calls.
    const int64_t warmup_limit =
        options.calls > 0
            ? std::clamp<int64_t>(count - options.calls, 0, warmup_share)
            : std::min(count, warmup_share);
    absl::StatusOr<std::vector<std::string>> users =
        CreateSpareUsers(options, count, run_clock.deadline);
    if (!users.ok()) return users.status();
    user_pool = std::make_unique<UserPool>(*std::move(users), warmup_limit);
    plan.user_pool = user_pool.get();
    result.spare_users = count;
  }

  const int workers = options.concurrency;
  std::vector<std::unique_ptr<Caller>> callers;
  SampleBudget budget(kMaxLatencySamples);
  std::vector<LatencyRecorder> recorders;
  std::vector<WorkerCounters> counters(workers);
  std::vector<WorkerResult> worker_results(workers);
  for (int i = 0; i < workers; ++i) {
    callers.push_back(
        CreateCaller(options.method, channels[i % channels.size()], plan));
    recorders.emplace_back(&budget);
  }

  absl::Notification start;
  std::atomic<int64_t> tickets{0};
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      RunWorker(*callers[i], options, run_clock, start, tickets, recorders[i],
                counters[i], worker_results[i]);
    });
  }
  const Clock::time_point run_start = Clock::now();
  run_clock.measure_start =
      std::min(run_start + ToClockDuration(options.warmup), run_clock.deadline);
  run_clock.measure_end =
      options.duration > absl::ZeroDuration()
          ? run_clock.measure_start + ToClockDuration(options.duration)
          : Clock::time_point::max();
  for (WorkerResult& worker : worker_results) {
    worker.last_end = run_clock.measure_start;
  }
  start.Notify();

  absl::Notification finished;
  std::thread progress;
  if (options.progress > absl::ZeroDuration()) {
    progress = std::thread([&] {
      PrintProgress(options.progress, run_clock, run_start, counters, finished);
    });
  }
  for (std::thread& thread : threads) thread.join();
  finished.Notify();
  if (progress.joinable()) progress.join();

  std::vector<const LatencyRecorder*> recorder_pointers;
  Clock::time_point last_end = run_clock.measure_start;
  bool reached_deadline = false;
  bool ran_out_of_users = false;
  for (int i = 0; i < workers; ++i) {
    recorder_pointers.push_back(&recorders[i]);
    last_end = std::max(last_end, worker_results[i].last_end);
    reached_deadline |= worker_results[i].reached_deadline;
    ran_out_of_users |= worker_results[i].ran_out_of_users;
    result.warmup_calls += counters[i].warmup_calls.load();
    result.warmup_failures += counters[i].warmup_failures.load();
    result.cut_off_calls += counters[i].cut_off_calls.load();
  }
  result.latency = Summarize(recorder_pointers);
  result.seconds =
      std::chrono::duration<double>(last_end - run_clock.measure_start).count();
  result.throughput =
      result.seconds > 0
          ? static_cast<double>(result.latency.calls) / result.seconds
          : 0;
  if (options.calls > 0 && result.latency.calls >= options.calls) {
    result.stop_reason = StopReason::kCalls;
  } else if (reached_deadline) {
    result.stop_reason = StopReason::kMaxDuration;
  } else if (ran_out_of_users) {
    result.stop_reason = StopReason::kSpareUsers;
  } else {
    result.stop_reason = StopReason::kDuration;
  }
  return result;
}

}  // namespace tenantry::loadgen
