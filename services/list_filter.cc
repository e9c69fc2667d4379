#include "services/list_filter.h"

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "services/field_violations.h"
#include "storage/quoting.h"

namespace tenantry::services {

absl::StatusOr<std::optional<FilterCondition>> ParseFilter(
    absl::string_view filter, const std::vector<std::string>& fields) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(filter);
  if (trimmed.empty()) return std::nullopt;

  const auto invalid = [&](absl::string_view reason) {
    return InvalidFieldError(
        "filter", absl::StrCat(storage::QuoteForMessage(filter), " ", reason,
                               "; use FIELD = VALUE with FIELD one of ",
                               absl::StrJoin(fields, ", "), ", for example ",
                               fields.front(), " = \"value\""));
  };

  // Text fields reject NUL, so no stored value can match one.
  if (trimmed.find('\0') != absl::string_view::npos) {
    return invalid("contains a NUL character");
  }

  const size_t equals = trimmed.find('=');
  if (equals == absl::string_view::npos) {
    return invalid("has no '='");
  }
  FilterCondition condition;
  condition.field =
      std::string(absl::StripAsciiWhitespace(trimmed.substr(0, equals)));
  absl::string_view value =
      absl::StripAsciiWhitespace(trimmed.substr(equals + 1));
  if (!absl::c_linear_search(fields, condition.field)) {
    return invalid(absl::StrCat("names an unknown field ",
                                storage::QuoteForMessage(condition.field)));
  }
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
    if (value.find('"') != absl::string_view::npos) {
      return invalid("has a quote inside the value");
    }
  } else {
    for (char c : value) {
      if (!absl::ascii_isalnum(c) && c != '_' && c != '-') {
        return invalid("has a value that needs double quotes");
      }
    }
  }
  if (value.empty()) return invalid("has no value");
  condition.value = std::string(value);
  return condition;
}

}  // namespace tenantry::services
