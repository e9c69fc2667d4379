#ifndef TENANTRY_STORAGE_QUOTING_H_
#define TENANTRY_STORAGE_QUOTING_H_

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tenantry::storage {

// Maximum number of bytes of a value that QuoteForMessage copies.
inline constexpr size_t kMaxQuotedBytes = 80;

// Returns `value` in double quotes for an error message or a log line:
// C-escaped, and cut after kMaxQuotedBytes bytes with its full length
// noted, so that a huge or binary input cannot make the message huge.
inline std::string QuoteForMessage(absl::string_view value) {
  if (value.size() <= kMaxQuotedBytes) {
    return absl::StrCat("\"", absl::CHexEscape(value), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kMaxQuotedBytes)),
                      "...\" (", value.size(), " bytes)");
}

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_QUOTING_H_
