#ifndef TENANTRY_SERVICES_METRICS_H_
#define TENANTRY_SERVICES_METRICS_H_

// Counters and histograms with labels, and their rendering in the
// Prometheus text exposition format 0.0.4:
// https://prometheus.io/docs/instrumenting/exposition_formats/

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace tenantry::services {

// Label names and values of one series, in the order they are written.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

// Returns whether `name` matches [a-zA-Z_:][a-zA-Z0-9_:]*, the metric
// names of the format.
bool IsValidMetricName(absl::string_view name);

// Returns whether `name` matches [a-zA-Z_][a-zA-Z0-9_]* and does not start
// with "__", which Prometheus reserves.
bool IsValidLabelName(absl::string_view name);

// Returns `value` with backslash, double quote and line feed escaped as
// \\, \" and \n, as label values must be.
std::string EscapeLabelValue(absl::string_view value);

// Formats a sample value: integers without a fraction or exponent, other
// values with the fewest digits that read back to the same double, and
// +Inf, -Inf and NaN as the format spells them.
std::string FormatMetricValue(double value);

// The counts of a histogram at one moment.
struct HistogramSnapshot {
  // Upper bounds of the buckets, ascending, without +Inf.
  std::vector<double> bounds;
  // Observations of at most each bound, cumulative, then the +Inf bucket,
  // which equals `count`.
  std::vector<int64_t> cumulative_counts;
  double sum = 0;
  int64_t count = 0;
};

// Writes metric families as exposition text. Each family starts with
// BeginFamily() and is followed by all of its samples, as the format
// requires. Not thread-safe.
class MetricsWriter {
 public:
  // Writes the # HELP and # TYPE lines of a family. `help` may hold any
  // text; backslashes and line feeds are escaped.
  void BeginFamily(absl::string_view name, absl::string_view help,
                   MetricType type);

  // Writes one sample line. `name` is the family's name or, for a
  // histogram, the family's name with _bucket, _sum or _count.
  void WriteSample(absl::string_view name, const MetricLabels& labels,
                   double value);

  // Writes the _bucket lines (one per bound and +Inf, each with an `le`
  // label after `labels`), _sum and _count of one histogram series.
  void WriteHistogram(absl::string_view name, const MetricLabels& labels,
                      const HistogramSnapshot& histogram);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A monotonic count. Thread-safe and lock-free.
class Counter {
 public:
  void Increment(int64_t amount = 1) {
    value_.fetch_add(amount, std::memory_order_relaxed);
  }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Counts observations in buckets with fixed upper bounds and sums them.
// Thread-safe and lock-free: Observe() adds to one bucket and to the sum.
class Histogram {
 public:
  // `bounds` are the buckets' upper bounds (inclusive), ascending; a +Inf
  // bucket is added.
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);

  // Reads the counts. A snapshot taken while Observe() runs may see an
  // observation in its bucket but not yet in the sum.
  HistogramSnapshot Snapshot() const;

  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  // Observations per bucket, not cumulative; the last is +Inf.
  const std::unique_ptr<std::atomic<int64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// The series of one metric, one per combination of label values. The
// series live as long as the family. Thread-safe.
template <typename Metric>
class MetricFamily {
 public:
  // Returns the series with these label values, one per label name, and
  // creates it on first use. Takes a lock, so hot paths keep the pointer.
  Metric* WithLabels(const std::vector<std::string>& values);

  const std::string& name() const { return name_; }

 private:
  friend class MetricsRegistry;
  MetricFamily(std::string name, std::string help,
               std::vector<std::string> label_names,
               std::function<std::unique_ptr<Metric>()> make_metric)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_metric_(std::move(make_metric)) {}

  void Write(MetricsWriter& writer) const;
  MetricLabels LabelsOf(const std::vector<std::string>& values) const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<Metric>()> make_metric_;
  mutable absl::Mutex mutex_;
  // Ordered, so that the text lists series in the same order every time.
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_
      ABSL_GUARDED_BY(mutex_);
};

using CounterFamily = MetricFamily<Counter>;
using HistogramFamily = MetricFamily<Histogram>;

// The families that one server exports, rendered together as one text.
// Thread-safe.
class MetricsRegistry {
 public:
  // Adds a counter family. The name must be valid and unused, and end in
  // _total by the format's convention.
  CounterFamily* AddCounterFamily(std::string name, std::string help,
                                  std::vector<std::string> label_names);

  // Adds a histogram family whose series all use `bounds`. Its label
  // names must not include `le`.
  HistogramFamily* AddHistogramFamily(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> bounds);

  // Adds a function that writes whole families at every Render(), for
  // values that are read from elsewhere when the metrics are scraped.
  void AddCollector(std::function<void(MetricsWriter&)> collect);

  // Returns the exposition text of every family: the registry's own ones
  // in the order they were added, then the collectors' ones.
  std::string Render() const;

 private:
  // Aborts if `name` or a label name is invalid or the name is taken.
  void CheckNewFamily(const std::string& name,
                      const std::vector<std::string>& label_names)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  std::vector<std::string> names_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<CounterFamily>> counters_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<HistogramFamily>> histograms_
      ABSL_GUARDED_BY(mutex_);
  // In the order of registration, as indexes into counters_ (kCounter) or
  // histograms_ (kHistogram).
  std::vector<std::pair<MetricType, size_t>> order_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::function<void(MetricsWriter&)>> collectors_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_METRICS_H_
