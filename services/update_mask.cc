#include "services/update_mask.h"

#include "absl/algorithm/container.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/field_violations.h"
#include "storage/quoting.h"

namespace tenantry::services {

std::string ToSnakeCasePath(absl::string_view path) {
  std::string snake;
  bool segment_start = true;
  for (char c : path) {
    if (absl::ascii_isupper(c)) {
      if (!segment_start) snake.push_back('_');
      snake.push_back(absl::ascii_tolower(c));
    } else {
      snake.push_back(c);
    }
    segment_start = c == '.';
  }
  return snake;
}

absl::StatusOr<UpdateMask> UpdateMask::Create(
    const google::protobuf::FieldMask* mask, const Fields& fields,
    const std::vector<std::string>& set_paths) {
  UpdateMask result;
  if (mask == nullptr || mask->paths().empty()) {
    result.paths_.insert(set_paths.begin(), set_paths.end());
    return result;
  }
  std::vector<std::string> unknown;
  for (const std::string& raw_path : mask->paths()) {
    const std::string path = ToSnakeCasePath(raw_path);
    if (path == "*") {
      for (const std::string& updatable : fields.updatable) {
        if (!absl::StrContains(updatable, '.')) {
          result.paths_.insert(updatable);
        }
      }
    } else if (absl::c_linear_search(fields.updatable, path)) {
      result.paths_.insert(path);
    } else if (!absl::c_linear_search(fields.ignored, path)) {
      unknown.push_back(storage::QuoteForMessage(raw_path));
    }
  }
  if (!unknown.empty()) {
    return InvalidFieldError(
        "update_mask",
        absl::StrCat(absl::StrJoin(unknown, ", "),
                     unknown.size() == 1 ? " is not an updatable field"
                                         : " are not updatable fields",
                     "; use any of: ", absl::StrJoin(fields.updatable, ", "),
                     ", or *"));
  }
  return result;
}

bool UpdateMask::Covers(absl::string_view path) const {
  while (true) {
    if (paths_.contains(path)) return true;
    const size_t dot = path.rfind('.');
    if (dot == absl::string_view::npos) return false;
    path = path.substr(0, dot);
  }
}

}  // namespace tenantry::services
