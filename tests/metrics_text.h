#ifndef TENANTRY_TESTS_METRICS_TEXT_H_
#define TENANTRY_TESTS_METRICS_TEXT_H_

// A strict parser of the Prometheus text exposition format 0.0.4, written
// for the tests from the format's description, independent of the
// server's writer.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tenantry::tests {

using LabelSet = std::map<std::string, std::string>;

struct MetricSample {
  std::string name;
  LabelSet labels;
  double value = 0;
};

struct MetricFamilyText {
  std::string help;
  // counter, gauge, histogram, summary or untyped.
  std::string type;
};

struct ParsedMetrics {
  std::map<std::string, MetricFamilyText> families;
  std::vector<MetricSample> samples;

  // The value of the sample with exactly this name and these labels.
  std::optional<double> Value(absl::string_view name,
                              const LabelSet& labels = {}) const;

  // The samples named `name`, in text order.
  std::vector<MetricSample> Samples(absl::string_view name) const;
};

// Parses `text` and checks, besides the syntax, what a scraper relies on.
// Every family has one # HELP and one # TYPE line before its samples, and
// its lines are contiguous. No series appears twice, and counters are not
// negative. Each histogram series has ascending `le` buckets with
// cumulative counts, a +Inf bucket equal to its _count, and a _sum.
// Returns INVALID_ARGUMENT naming the line and the rule it breaks.
absl::StatusOr<ParsedMetrics> ParseMetricsText(absl::string_view text);

}  // namespace tenantry::tests

#endif  // TENANTRY_TESTS_METRICS_TEXT_H_
