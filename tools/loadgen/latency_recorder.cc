#include "tools/loadgen/latency_recorder.h"

#include <algorithm>
#include <cmath>

#include "absl/numeric/bits.h"
#include "tools/loadgen/client.h"

namespace tenantry::loadgen {
namespace {

// Values below 2^8 get a bucket each. From 2^8 on, each power of two
// [2^m, 2^(m+1)) splits into 128 buckets of width 2^(m-7).
constexpr int kSubBucketBits = 7;
constexpr int64_t kSubBuckets = int64_t{1} << kSubBucketBits;  // 128
constexpr int64_t kLinearLimit = 2 * kSubBuckets;              // 256
constexpr int kMaxBits = 42;
constexpr int64_t kMaxValue = (int64_t{1} << kMaxBits) - 1;
constexpr int64_t kBucketCount =
    kLinearLimit + (kMaxBits - 1 - kSubBucketBits) * kSubBuckets;

int64_t BucketIndex(int64_t value) {
  value = std::clamp<int64_t>(value, 0, kMaxValue);
  if (value < kLinearLimit) return value;
  const int top_bit = 63 - absl::countl_zero(static_cast<uint64_t>(value));
  const int shift = top_bit - kSubBucketBits;
  const int64_t sub_bucket = value >> shift;  // in [128, 256)
  return kLinearLimit + (shift - 1) * kSubBuckets + (sub_bucket - kSubBuckets);
}

int64_t BucketMidpoint(int64_t index) {
  if (index < kLinearLimit) return index;
  const int64_t offset = index - kLinearLimit;
  const int shift = static_cast<int>(offset / kSubBuckets) + 1;
  const int64_t sub_bucket = offset % kSubBuckets + kSubBuckets;
  const int64_t width = int64_t{1} << shift;
  return (sub_bucket << shift) + width / 2;
}

// Returns the 1-based nearest rank of percentile `percent` among `count`
// values.
int64_t NearestRank(double percent, int64_t count) {
  const auto rank = static_cast<int64_t>(
      std::ceil(percent / 100.0 * static_cast<double>(count)));
  return std::clamp<int64_t>(rank, 1, count);
}

double ToMilliseconds(int64_t nanoseconds) {
  return static_cast<double>(nanoseconds) / 1e6;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBucketCount, 0) {}

void LatencyHistogram::Add(int64_t nanoseconds) {
  ++counts_[BucketIndex(nanoseconds)];
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int64_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
}

int64_t LatencyHistogram::ValueAtRank(int64_t rank) const {
  int64_t seen = 0;
  for (int64_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return BucketMidpoint(i);
  }
  return BucketMidpoint(kBucketCount - 1);
}

int64_t SampleBudget::Take(int64_t requested) {
  int64_t available = slots_.load(std::memory_order_relaxed);
  while (available > 0) {
    const int64_t granted = std::min(available, requested);
    if (slots_.compare_exchange_weak(available, available - granted,
                                     std::memory_order_relaxed)) {
      return granted;
    }
  }
  return 0;
}

void LatencyRecorder::Record(int64_t latency_nanoseconds,
                             const grpc::Status& status) {
  ++calls_;
  max_nanoseconds_ = std::max(max_nanoseconds_, latency_nanoseconds);
  histogram_.Add(latency_nanoseconds);
  if (free_slots_ == 0) free_slots_ = budget_->Take(4096);
  if (free_slots_ > 0) {
    samples_.push_back(latency_nanoseconds);
    --free_slots_;
  }
  const int code = static_cast<int>(status.error_code());
  if (code >= 0 && code < static_cast<int>(status_counts_.size())) {
    ++status_counts_[code];
  }
  if (!status.ok() && first_errors_.count(code) == 0) {
    first_errors_[code] = status.error_message();
  }
}

LatencySummary Summarize(const std::vector<const LatencyRecorder*>& recorders) {
  LatencySummary summary;
  int64_t stored = 0;
  int64_t max_nanoseconds = 0;
  LatencyHistogram histogram;
  std::array<int64_t, 17> status_counts{};
  for (const LatencyRecorder* recorder : recorders) {
    summary.calls += recorder->calls();
    stored += static_cast<int64_t>(recorder->samples().size());
    max_nanoseconds = std::max(max_nanoseconds, recorder->max_nanoseconds());
    histogram.Merge(recorder->histogram());
    for (size_t code = 0; code < status_counts.size(); ++code) {
      status_counts[code] += recorder->status_counts()[code];
    }
    for (const auto& [code, message] : recorder->first_errors()) {
      summary.first_errors.emplace(
          StatusCodeName(static_cast<grpc::StatusCode>(code)), message);
    }
  }
  for (size_t code = 0; code < status_counts.size(); ++code) {
    if (status_counts[code] > 0) {
      summary
          .status_counts[StatusCodeName(static_cast<grpc::StatusCode>(code))] =
          status_counts[code];
    }
  }
  if (summary.calls == 0) return summary;

  summary.exact = stored == summary.calls;
  std::vector<int64_t> samples;
  if (summary.exact) {
    samples.reserve(stored);
    for (const LatencyRecorder* recorder : recorders) {
      samples.insert(samples.end(), recorder->samples().begin(),
                     recorder->samples().end());
    }
    std::sort(samples.begin(), samples.end());
  }
  const auto percentile = [&](double percent) {
    const int64_t rank = NearestRank(percent, summary.calls);
    const int64_t value =
        summary.exact ? samples[rank - 1] : histogram.ValueAtRank(rank);
    // A bucket midpoint may lie above the largest value in the bucket.
    return ToMilliseconds(std::min(value, max_nanoseconds));
  };
  summary.p50_ms = percentile(50);
  summary.p90_ms = percentile(90);
  summary.p99_ms = percentile(99);
  summary.p999_ms = percentile(99.9);
  summary.max_ms = ToMilliseconds(max_nanoseconds);
  return summary;
}

}  // namespace tenantry::loadgen
