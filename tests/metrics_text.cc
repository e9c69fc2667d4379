#include "tests/metrics_text.h"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tenantry::tests {
namespace {

bool IsNameCharacter(char c, bool allow_colon) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         (allow_colon && c == ':');
}

// Consumes a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or, without colons, a
// label name from the front of `text`.
std::optional<std::string> ConsumeName(absl::string_view& text,
                                       bool allow_colon) {
  size_t length = 0;
  while (length < text.size() && IsNameCharacter(text[length], allow_colon)) {
    ++length;
  }
  if (length == 0 || absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) {
    return std::nullopt;
  }
  std::string name(text.substr(0, length));
  text.remove_prefix(length);
  return name;
}

// Consumes a double-quoted label value, undoing the escapes \\, \" and \n,
// the only ones the format has.
std::optional<std::string> ConsumeLabelValue(absl::string_view& text) {
  if (!absl::ConsumePrefix(&text, "\"")) return std::nullopt;
  std::string value;
  while (!text.empty()) {
    const char c = text.front();
    text.remove_prefix(1);
    if (c == '"') return value;
    if (c == '\n') return std::nullopt;
    if (c != '\\') {
      value += c;
      continue;
    }
    if (text.empty()) return std::nullopt;
    const char escaped = text.front();
    text.remove_prefix(1);
    if (escaped == '\\') {
      value += '\\';
    } else if (escaped == '"') {
      value += '"';
    } else if (escaped == 'n') {
      value += '\n';
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// Parses a sample value as Go's strconv.ParseFloat reads the format's
// values, limited to decimal numbers, +Inf, -Inf and NaN.
std::optional<double> ParseValue(absl::string_view text) {
  if (text == "+Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  absl::string_view rest = text;
  if (!absl::ConsumePrefix(&rest, "-")) absl::ConsumePrefix(&rest, "+");
  size_t digits = 0;
  bool seen_point = false;
  bool seen_exponent = false;
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (c == '.' && !seen_point && !seen_exponent) {
      seen_point = true;
    } else if ((c == 'e' || c == 'E') && !seen_exponent && digits > 0) {
      seen_exponent = true;
      if (i + 1 < rest.size() && (rest[i + 1] == '+' || rest[i + 1] == '-')) {
        ++i;
      }
      if (i + 1 >= rest.size()) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (digits == 0) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

// Parses `{name="value",...}` after a sample's name, if present.
std::optional<LabelSet> ConsumeLabels(absl::string_view& text,
                                      std::string* error) {
  LabelSet labels;
  if (!absl::ConsumePrefix(&text, "{")) return labels;
  while (!absl::ConsumePrefix(&text, "}")) {
    std::optional<std::string> name = ConsumeName(text, false);
    if (!name) {
      *error = "a label name is invalid";
      return std::nullopt;
    }
    if (absl::StartsWith(*name, "__")) {
      *error = absl::StrCat("label ", *name, " uses the reserved prefix __");
      return std::nullopt;
    }
    if (!absl::ConsumePrefix(&text, "=")) {
      *error = absl::StrCat("label ", *name, " has no = after it");
      return std::nullopt;
    }
    std::optional<std::string> value = ConsumeLabelValue(text);
    if (!value) {
      *error = absl::StrCat("the value of label ", *name,
                            " is not a double-quoted string with valid "
                            "escapes");
      return std::nullopt;
    }
    if (!labels.emplace(*name, *value).second) {
      *error = absl::StrCat("label ", *name, " appears twice");
      return std::nullopt;
    }
    if (!absl::ConsumePrefix(&text, ",") && !absl::StartsWith(text, "}")) {
      *error = "labels must be separated by commas and end with }";
      return std::nullopt;
    }
  }
  return labels;
}

absl::Status LineError(int line, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", problem));
}

// Returns the family that a sample named `name` belongs to, or "".
std::string FamilyOfSample(
    const std::map<std::string, MetricFamilyText>& families,
    const std::string& name) {
  auto exact = families.find(name);
  if (exact != families.end() && !exact->second.type.empty() &&
      exact->second.type != "histogram" && exact->second.type != "summary") {
    return name;
  }
  for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (!absl::EndsWith(name, suffix)) continue;
    const std::string base = name.substr(0, name.size() - suffix.size());
    auto family = families.find(base);
    if (family == families.end()) continue;
    if (family->second.type == "histogram" ||
        (family->second.type == "summary" && suffix != "_bucket")) {
      return base;
    }
  }
  return "";
}

// Checks the buckets, _sum and _count of every series of histogram
// `family`.
absl::Status CheckHistogram(const ParsedMetrics& parsed,
                            const std::string& family) {
  struct Series {
    std::vector<std::pair<double, double>> buckets;
    std::optional<double> sum;
    std::optional<double> count;
  };
  std::map<LabelSet, Series> series;
  for (const MetricSample& sample : parsed.samples) {
    if (sample.name == family + "_bucket") {
      LabelSet labels = sample.labels;
      auto le = labels.find("le");
      if (le == labels.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(sample.name, " has a bucket without an le label"));
      }
      std::optional<double> bound = ParseValue(le->second);
      if (!bound) {
        return absl::InvalidArgumentError(absl::StrCat(
            sample.name, " has le=\"", le->second, "\", which is no number"));
      }
      labels.erase(le);
      series[labels].buckets.emplace_back(*bound, sample.value);
    } else if (sample.name == family + "_sum") {
      series[sample.labels].sum = sample.value;
    } else if (sample.name == family + "_count") {
      series[sample.labels].count = sample.value;
    }
  }
  for (const auto& [labels, histogram] : series) {
    const std::string where =
        absl::StrCat("histogram ", family, " with ", labels.size(), " labels");
    if (histogram.buckets.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, " has no buckets"));
    }
    for (size_t i = 1; i < histogram.buckets.size(); ++i) {
      if (!(histogram.buckets[i].first > histogram.buckets[i - 1].first)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " has le bounds that do not ascend"));
      }
      if (histogram.buckets[i].second < histogram.buckets[i - 1].second) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, " has bucket counts that are not cumulative: le=",
            histogram.buckets[i].first, " has ", histogram.buckets[i].second,
            " after ", histogram.buckets[i - 1].second));
      }
    }
    if (!std::isinf(histogram.buckets.back().first)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " has no le=\"+Inf\" bucket"));
    }
    if (!histogram.count || !histogram.sum) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " lacks its _count or _sum"));
    }
    if (*histogram.count != histogram.buckets.back().second) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, " has _count ", *histogram.count, " but a +Inf bucket of ",
          histogram.buckets.back().second));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<double> ParsedMetrics::Value(absl::string_view name,
                                           const LabelSet& labels) const {
  for (const MetricSample& sample : samples) {
    if (sample.name == name && sample.labels == labels) return sample.value;
  }
  return std::nullopt;
}

std::vector<MetricSample> ParsedMetrics::Samples(absl::string_view name) const {
  std::vector<MetricSample> found;
  for (const MetricSample& sample : samples) {
    if (sample.name == name) found.push_back(sample);
  }
  return found;
}

absl::StatusOr<ParsedMetrics> ParseMetricsText(absl::string_view text) {
  ParsedMetrics parsed;
  if (!text.empty() && !absl::EndsWith(text, "\n")) {
    return absl::InvalidArgumentError("the text does not end with a line feed");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  // The split leaves an empty piece after the last line feed.
  if (!lines.empty()) lines.pop_back();

  std::string current_family;
  // Families whose lines have ended; their names must not come back.
  std::set<std::string> finished;
  std::set<std::string> seen_help;
  std::set<std::string> seen_type;
  std::set<std::pair<std::string, LabelSet>> series;
  const auto enter_family = [&](const std::string& family) {
    if (family == current_family) return true;
    if (finished.count(family) > 0) return false;
    if (!current_family.empty()) finished.insert(current_family);
    current_family = family;
    return true;
  };

  for (size_t index = 0; index < lines.size(); ++index) {
    const int number = static_cast<int>(index) + 1;
    absl::string_view line = lines[index];
    if (line.empty()) continue;
    if (absl::ConsumePrefix(&line, "#")) {
      const bool help = absl::ConsumePrefix(&line, " HELP ");
      const bool type = !help && absl::ConsumePrefix(&line, " TYPE ");
      if (!help && !type) continue;  // A comment.
      std::optional<std::string> name = ConsumeName(line, true);
      if (!name) return LineError(number, "the metric name is invalid");
      if (!enter_family(*name)) {
        return LineError(number, absl::StrCat("family ", *name,
                                              " continues after other "
                                              "families"));
      }
      if (help) {
        if (!seen_help.insert(*name).second) {
          return LineError(number, absl::StrCat("second # HELP for ", *name));
        }
        if (!line.empty() && !absl::ConsumePrefix(&line, " ")) {
          return LineError(number, "no space after the name in # HELP");
        }
        std::string unescaped;
        for (size_t i = 0; i < line.size(); ++i) {
          if (line[i] != '\\') {
            unescaped += line[i];
            continue;
          }
          if (i + 1 >= line.size() ||
              (line[i + 1] != '\\' && line[i + 1] != 'n')) {
            return LineError(number,
                             "# HELP has an escape other than \\\\ or \\n");
          }
          unescaped += line[i + 1] == 'n' ? '\n' : '\\';
          ++i;
        }
        parsed.families[*name].help = unescaped;
      } else {
        if (!seen_type.insert(*name).second) {
          return LineError(number, absl::StrCat("second # TYPE for ", *name));
        }
        if (parsed.Samples(*name).size() > 0) {
          return LineError(
              number, absl::StrCat("# TYPE of ", *name, " after its samples"));
        }
        if (!absl::ConsumePrefix(&line, " ") ||
            (line != "counter" && line != "gauge" && line != "histogram" &&
             line != "summary" && line != "untyped")) {
          return LineError(number, absl::StrCat("# TYPE of ", *name,
                                                " names no known type"));
        }
        parsed.families[*name].type = std::string(line);
      }
      continue;
    }

    MetricSample sample;
    std::optional<std::string> name = ConsumeName(line, true);
    if (!name) return LineError(number, "the metric name is invalid");
    sample.name = *name;
    std::string label_error;
    std::optional<LabelSet> labels = ConsumeLabels(line, &label_error);
    if (!labels) return LineError(number, label_error);
    sample.labels = *std::move(labels);
    if (!absl::ConsumePrefix(&line, " ")) {
      return LineError(number, "no space before the value");
    }
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.empty() || fields.size() > 2) {
      return LineError(number, "expected a value and an optional timestamp");
    }
    std::optional<double> value = ParseValue(fields[0]);
    if (!value) {
      return LineError(number,
                       absl::StrCat("the value ", fields[0], " is no number"));
    }
    sample.value = *value;
    int64_t timestamp = 0;
    if (fields.size() == 2 && !absl::SimpleAtoi(fields[1], &timestamp)) {
      return LineError(number, "the timestamp is not an integer");
    }

    const std::string family = FamilyOfSample(parsed.families, sample.name);
    if (family.empty()) {
      return LineError(number, absl::StrCat("sample ", sample.name,
                                            " has no # TYPE line before it"));
    }
    if (seen_help.count(family) == 0) {
      return LineError(number, absl::StrCat("family ", family,
                                            " has no # HELP line before it"));
    }
    if (!enter_family(family)) {
      return LineError(number, absl::StrCat("family ", family,
                                            " continues after other families"));
    }
    if (!series.emplace(sample.name, sample.labels).second) {
      return LineError(number,
                       absl::StrCat("series ", sample.name, " appears twice"));
    }
    if (parsed.families[family].type == "counter" && !(sample.value >= 0)) {
      return LineError(
          number, absl::StrCat("counter ", sample.name, " is negative or NaN"));
    }
    parsed.samples.push_back(std::move(sample));
  }

  for (const auto& [family, text_family] : parsed.families) {
    if (text_family.type.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("family ", family, " has # HELP but no # TYPE"));
    }
    if (text_family.type == "histogram") {
      absl::Status histogram = CheckHistogram(parsed, family);
      if (!histogram.ok()) return histogram;
    }
  }
  return parsed;
}

}  // namespace tenantry::tests
