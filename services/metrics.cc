#include "services/metrics.h"

#include <glog/logging.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tenantry::services {
namespace {

bool IsNameCharacter(char c, bool allow_colon) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         (allow_colon && c == ':');
}

bool IsValidName(absl::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  if (absl::ascii_isdigit(static_cast<unsigned char>(name.front()))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [allow_colon](char c) {
    return IsNameCharacter(c, allow_colon);
  });
}

absl::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Escapes a # HELP text, where only backslash and line feed are special.
std::string EscapeHelp(absl::string_view help) {
  std::string escaped;
  escaped.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

void AppendLabels(std::string& text, const MetricLabels& labels) {
  if (labels.empty()) return;
  text += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    DCHECK(IsValidLabelName(name)) << "invalid label name " << name;
    if (!first) text += ',';
    first = false;
    absl::StrAppend(&text, name, "=\"", EscapeLabelValue(value), "\"");
  }
  text += '}';
}

}  // namespace

bool IsValidMetricName(absl::string_view name) {
  return IsValidName(name, /*allow_colon=*/true);
}

bool IsValidLabelName(absl::string_view name) {
  return IsValidName(name, /*allow_colon=*/false) &&
         !absl::StartsWith(name, "__");
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Whole numbers below 2^53 are exact in a double; print them like the
  // integer counters they usually are.
  constexpr double kExactIntegerLimit = 9007199254740992.0;
  if (value == std::floor(value) && std::fabs(value) < kExactIntegerLimit) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // Plain decimals where they stay short, as le="0.0005" rather than
  // "5e-04"; the shortest form otherwise.
  char buffer[400];
  const double magnitude = std::fabs(value);
  const std::to_chars_result result =
      magnitude >= 1e-4 && magnitude < 1e15
          ? std::to_chars(buffer, buffer + sizeof(buffer), value,
                          std::chars_format::fixed)
          : std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

void MetricsWriter::BeginFamily(absl::string_view name, absl::string_view help,
                                MetricType type) {
  DCHECK(IsValidMetricName(name)) << "invalid metric name " << name;
  absl::StrAppend(&text_, "# HELP ", name, " ", EscapeHelp(help), "\n",
                  "# TYPE ", name, " ", TypeName(type), "\n");
}

void MetricsWriter::WriteSample(absl::string_view name,
                                const MetricLabels& labels, double value) {
  DCHECK(IsValidMetricName(name)) << "invalid metric name " << name;
  absl::StrAppend(&text_, name);
  AppendLabels(text_, labels);
  absl::StrAppend(&text_, " ", FormatMetricValue(value), "\n");
}

void MetricsWriter::WriteHistogram(absl::string_view name,
                                   const MetricLabels& labels,
                                   const HistogramSnapshot& histogram) {
  const std::string bucket_name = absl::StrCat(name, "_bucket");
  MetricLabels bucket_labels = labels;
  bucket_labels.emplace_back("le", "");
  for (size_t i = 0; i < histogram.cumulative_counts.size(); ++i) {
    bucket_labels.back().second =
        i < histogram.bounds.size()
            ? FormatMetricValue(histogram.bounds[i])
            : FormatMetricValue(std::numeric_limits<double>::infinity());
    WriteSample(bucket_name, bucket_labels,
                static_cast<double>(histogram.cumulative_counts[i]));
  }
  WriteSample(absl::StrCat(name, "_sum"), labels, histogram.sum);
  WriteSample(absl::StrCat(name, "_count"), labels,
              static_cast<double>(histogram.count));
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(new std::atomic<int64_t>[bounds_.size() + 1]) {
  DCHECK(std::is_sorted(bounds_.begin(), bounds_.end()));
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::Observe(double value) {
  // The first bound at least `value`: buckets count up to and including
  // their bound. NaN lands in +Inf.
  const size_t bucket =
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value,
                                     std::memory_order_relaxed)) {
  }
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.bounds = bounds_;
  snapshot.cumulative_counts.reserve(bounds_.size() + 1);
  int64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(total);
  }
  // _count is the +Inf bucket, so the two always agree.
  snapshot.count = total;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

template <typename Metric>
Metric* MetricFamily<Metric>::WithLabels(
    const std::vector<std::string>& values) {
  CHECK_EQ(values.size(), label_names_.size())
      << "metric " << name_ << " has " << label_names_.size() << " labels";
  absl::MutexLock lock(&mutex_);
  std::unique_ptr<Metric>& series = series_[values];
  if (series == nullptr) series = make_metric_();
  return series.get();
}

template <typename Metric>
MetricLabels MetricFamily<Metric>::LabelsOf(
    const std::vector<std::string>& values) const {
  MetricLabels labels;
  labels.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    labels.emplace_back(label_names_[i], values[i]);
  }
  return labels;
}

template <>
void MetricFamily<Counter>::Write(MetricsWriter& writer) const {
  writer.BeginFamily(name_, help_, MetricType::kCounter);
  absl::MutexLock lock(&mutex_);
  for (const auto& [values, counter] : series_) {
    writer.WriteSample(name_, LabelsOf(values),
                       static_cast<double>(counter->value()));
  }
}

template <>
void MetricFamily<Histogram>::Write(MetricsWriter& writer) const {
  writer.BeginFamily(name_, help_, MetricType::kHistogram);
  absl::MutexLock lock(&mutex_);
  for (const auto& [values, histogram] : series_) {
    writer.WriteHistogram(name_, LabelsOf(values), histogram->Snapshot());
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Histogram>;

void MetricsRegistry::CheckNewFamily(
    const std::string& name, const std::vector<std::string>& label_names) {
  CHECK(IsValidMetricName(name)) << "invalid metric name " << name;
  CHECK(std::find(names_.begin(), names_.end(), name) == names_.end())
      << "metric " << name << " is registered twice";
  for (const std::string& label : label_names) {
    CHECK(IsValidLabelName(label))
        << "metric " << name << " has the invalid label name " << label;
  }
  names_.push_back(name);
}

CounterFamily* MetricsRegistry::AddCounterFamily(
    std::string name, std::string help, std::vector<std::string> label_names) {
  absl::MutexLock lock(&mutex_);
  CheckNewFamily(name, label_names);
  CHECK(absl::EndsWith(name, "_total"))
      << "counter " << name << " must end in _total";
  counters_.emplace_back(new CounterFamily(
      std::move(name), std::move(help), std::move(label_names),
      [] { return std::make_unique<Counter>(); }));
  order_.emplace_back(MetricType::kCounter, counters_.size() - 1);
  return counters_.back().get();
}

HistogramFamily* MetricsRegistry::AddHistogramFamily(
    std::string name, std::string help, std::vector<std::string> label_names,
    std::vector<double> bounds) {
  absl::MutexLock lock(&mutex_);
  CheckNewFamily(name, label_names);
  CHECK(std::find(label_names.begin(), label_names.end(), "le") ==
        label_names.end())
      << "histogram " << name << " must not have a label named le";
  CHECK(std::is_sorted(bounds.begin(), bounds.end()))
      << "the bucket bounds of histogram " << name << " must be ascending";
  histograms_.emplace_back(
      new HistogramFamily(std::move(name), std::move(help),
                          std::move(label_names), [bounds = std::move(bounds)] {
                            return std::make_unique<Histogram>(bounds);
                          }));
  order_.emplace_back(MetricType::kHistogram, histograms_.size() - 1);
  return histograms_.back().get();
}

void MetricsRegistry::AddCollector(
    std::function<void(MetricsWriter&)> collect) {
  absl::MutexLock lock(&mutex_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::Render() const {
  MetricsWriter writer;
  absl::MutexLock lock(&mutex_);
  for (const auto& [type, index] : order_) {
    if (type == MetricType::kHistogram) {
      histograms_[index]->Write(writer);
    } else {
      counters_[index]->Write(writer);
    }
  }
  for (const auto& collect : collectors_) collect(writer);
  return writer.text();
}

}  // namespace tenantry::services
