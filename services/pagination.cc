#include "services/pagination.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/field_violations.h"
#include "storage/ids.h"

namespace tenantry::services {
namespace {

// A token is web-safe base64 of "v1:<arguments checksum>:<last id>".
constexpr absl::string_view kTokenVersion = "v1";

// Stable across processes, so tokens survive a server restart.
std::string ArgumentsChecksum(absl::string_view arguments) {
  return storage::StableChecksum(arguments);
}

}  // namespace

absl::StatusOr<storage::PageRequest> ParsePageRequest(
    int32_t page_size, absl::string_view page_token,
    absl::string_view arguments) {
  if (page_size < 0) {
    return InvalidFieldError(
        "page_size",
        absl::StrCat(page_size, " is negative; use 0 for the default of ",
                     kDefaultPageSize, " or a positive number up to ",
                     kMaxPageSize));
  }
  storage::PageRequest page;
  page.limit = page_size == 0 ? kDefaultPageSize
                              : std::min<int32_t>(page_size, kMaxPageSize);
  if (page_token.empty()) return page;

  std::string decoded;
  std::vector<std::string> parts;
  // absl's decoder also accepts padding, whitespace and nonzero trailing
  // bits, so only the exact text that NextPageToken writes is a token.
  if (absl::WebSafeBase64Unescape(page_token, &decoded) &&
      absl::WebSafeBase64Escape(decoded) == page_token) {
    parts = absl::StrSplit(decoded, absl::MaxSplits(':', 2));
  }
  if (parts.size() != 3 || parts[0] != kTokenVersion || parts[2].empty()) {
    return InvalidFieldError(
        "page_token",
        "is not a token from this API; pass the "
        "next_page_token of the previous response unchanged");
  }
  if (parts[1] != ArgumentsChecksum(arguments)) {
    return InvalidFieldError(
        "page_token",
        "was issued for a request with other arguments; repeat "
        "every argument of the first request but page_size, such as its "
        "parent, filter or show_deleted, or start again without a token");
  }
  page.after_id = parts[2];
  return page;
}

std::string NextPageToken(bool has_more, absl::string_view last_id,
                          absl::string_view arguments) {
  if (!has_more) return "";
  return absl::WebSafeBase64Escape(absl::StrCat(
      kTokenVersion, ":", ArgumentsChecksum(arguments), ":", last_id));
}

}  // namespace tenantry::services
