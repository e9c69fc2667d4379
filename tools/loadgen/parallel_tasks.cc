#include "tools/loadgen/parallel_tasks.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace tenantry::loadgen {

absl::Status RunParallelTasks(
    int64_t count, int parallelism, absl::string_view what,
    const std::function<absl::Status(int64_t)>& task) {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::atomic<bool> failed{false};
  absl::Mutex mutex;
  absl::Status first_error;

  const auto work = [&] {
    while (!failed.load()) {
      const int64_t index = next.fetch_add(1);
      if (index >= count) return;
      absl::Status status = task(index);
      if (!status.ok()) {
        absl::MutexLock lock(&mutex);
        if (first_error.ok()) first_error = std::move(status);
        failed.store(true);
        return;
      }
      done.fetch_add(1);
    }
  };

  const std::string label(what);
  absl::Notification finished;
  std::thread progress([&] {
    while (!finished.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      std::cerr << "loadgen: " << label << ": " << done.load() << "/" << count
                << "\n";
    }
  });
  std::vector<std::thread> threads;
  const int64_t thread_count =
      std::max<int64_t>(1, std::min<int64_t>(parallelism, count));
  for (int64_t i = 0; i < thread_count; ++i) threads.emplace_back(work);
  for (std::thread& thread : threads) thread.join();
  finished.Notify();
  progress.join();
  std::cerr << "loadgen: " << label << ": " << done.load() << "/" << count
            << (first_error.ok() ? "" : " (stopped by an error)") << "\n";
  return first_error;
}

}  // namespace tenantry::loadgen
