#ifndef TENANTRY_SERVICES_UPDATE_MASK_H_
#define TENANTRY_SERVICES_UPDATE_MASK_H_

#include <google/protobuf/field_mask.pb.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tenantry::services {

// The fields an Update call changes (AIP-134).
class UpdateMask {
 public:
  // The paths a resource accepts in update masks.
  struct Fields {
    // Paths that may be updated, for example `full_name` or
    // `privacy_settings.visibility`. Top-level ones make up `*`.
    std::vector<std::string> updatable;
    // Output-only and immutable paths, accepted and ignored because
    // clients often send back a whole resource.
    std::vector<std::string> ignored;
  };

  // Builds the mask from the request's `update_mask`. Paths may be written
  // in snake_case, lowerCamelCase or UpperCamelCase and may repeat; `*`
  // means every updatable top-level field. An absent or empty mask means
  // `set_paths`, the fields that are set in the request's resource.
  // Returns INVALID_ARGUMENT naming any path that is not updatable.
  static absl::StatusOr<UpdateMask> Create(
      const google::protobuf::FieldMask* mask, const Fields& fields,
      const std::vector<std::string>& set_paths);

  // Returns whether `path` is updated: it or one of its parent messages is
  // in the mask.
  bool Covers(absl::string_view path) const;

  bool empty() const { return paths_.empty(); }

 private:
  absl::flat_hash_set<std::string> paths_;
};

// Converts each dot-separated segment of `path` to snake_case:
// `privacySettings.showContact` → `privacy_settings.show_contact`.
std::string ToSnakeCasePath(absl::string_view path);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_UPDATE_MASK_H_
