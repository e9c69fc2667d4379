// Per-worker latency and status bookkeeping for `loadgen run`.

#ifndef TENANTRY_TOOLS_LOADGEN_LATENCY_RECORDER_H_
#define TENANTRY_TOOLS_LOADGEN_LATENCY_RECORDER_H_

#include <grpcpp/grpcpp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tenantry::loadgen {

// Log-linear histogram of nanosecond values in the style of
// HdrHistogram: 128 buckets per power of two, so a bucket's midpoint is
// within 0.4% of every value in it. Values of 2^42 ns (73 minutes) and
// more land in the last bucket.
class LatencyHistogram {
 public:
  LatencyHistogram();

  void Add(int64_t nanoseconds);
  void Merge(const LatencyHistogram& other);

  // Returns the nearest-rank value of the `rank`-th smallest value, with
  // 1 <= rank <= count: the midpoint of the bucket that holds it.
  int64_t ValueAtRank(int64_t rank) const;

 private:
  std::vector<int64_t> counts_;
};

// The limit on stored latency samples across all workers: 10 million
// samples use 80 MB. Past it, percentiles come from the histogram.
inline constexpr int64_t kMaxLatencySamples = 10'000'000;

// Number of free sample slots, shared by the workers of one run. Workers
// take slots in blocks so that they rarely touch this counter.
class SampleBudget {
 public:
  explicit SampleBudget(int64_t slots) : slots_(slots) {}

  // Takes up to `requested` slots and returns the number granted.
  int64_t Take(int64_t requested);

 private:
  std::atomic<int64_t> slots_;
};

// Latencies and status codes of the calls one worker recorded. Only its
// worker thread writes it; the totals for progress lines are atomics.
class LatencyRecorder {
 public:
  explicit LatencyRecorder(SampleBudget* budget) : budget_(budget) {}

  void Record(int64_t latency_nanoseconds, const grpc::Status& status);

  int64_t calls() const { return calls_; }
  int64_t max_nanoseconds() const { return max_nanoseconds_; }
  const std::vector<int64_t>& samples() const { return samples_; }
  const LatencyHistogram& histogram() const { return histogram_; }
  const std::array<int64_t, 17>& status_counts() const {
    return status_counts_;
  }
  // The first error message seen for each failing status code.
  const std::map<int, std::string>& first_errors() const {
    return first_errors_;
  }

 private:
  SampleBudget* budget_;
  int64_t calls_ = 0;
  int64_t max_nanoseconds_ = 0;
  int64_t free_slots_ = 0;
  std::vector<int64_t> samples_;
  LatencyHistogram histogram_;
  std::array<int64_t, 17> status_counts_{};
  std::map<int, std::string> first_errors_;
};

// Latency percentiles and status counts of a whole run.
struct LatencySummary {
  int64_t calls = 0;
  // True if every recorded call's latency was stored, so the percentiles
  // are exact; false if the histogram gave them.
  bool exact = true;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
  // Calls per status code name, such as "OK" or "NOT_FOUND"; only codes
  // that occurred.
  std::map<std::string, int64_t> status_counts;
  // The first error message per failing status code name.
  std::map<std::string, std::string> first_errors;
};

// Merges the recorders of all workers. Percentiles use the nearest-rank
// method: p50 is the value with rank ceil(0.5 * calls) in sorted order.
LatencySummary Summarize(const std::vector<const LatencyRecorder*>& recorders);

}  // namespace tenantry::loadgen

#endif  // TENANTRY_TOOLS_LOADGEN_LATENCY_RECORDER_H_
