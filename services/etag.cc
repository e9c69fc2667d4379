#include "services/etag.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/field_violations.h"
#include "storage/quoting.h"

namespace tenantry::services {
namespace {

// Etags look like `r7`; the letter keeps clients from treating them as
// numbers.
constexpr absl::string_view kPrefix = "r";

}  // namespace

std::string EtagForRevision(int64_t revision) {
  return absl::StrCat(kPrefix, revision);
}

absl::StatusOr<std::optional<int64_t>> ParseEtag(absl::string_view field,
                                                 absl::string_view etag) {
  if (etag.empty()) return std::nullopt;
  // Only the exact form EtagForRevision writes: "r", then digits without
  // a leading zero.
  absl::string_view digits = etag;
  int64_t revision = 0;
  const bool well_formed =
      absl::ConsumePrefix(&digits, kPrefix) && !digits.empty() &&
      digits.size() <= 18 && digits.front() != '0' &&
      std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) &&
      absl::SimpleAtoi(digits, &revision);
  if (well_formed) return revision;
  return InvalidFieldError(
      field, absl::StrCat(storage::QuoteForMessage(etag),
                          " is not an etag from this API; send the etag of "
                          "the last read unchanged, or leave it empty"));
}

absl::Status CheckEtag(const std::optional<int64_t>& expected, int64_t revision,
                       absl::string_view resource_name) {
  if (!expected.has_value() || *expected == revision) return absl::OkStatus();
  return absl::AbortedError(absl::StrCat(
      resource_name,
      " changed since its etag was read; read it again and retry"));
}

}  // namespace tenantry::services
