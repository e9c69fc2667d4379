#ifndef TENANTRY_SERVICES_PROFILE_FIELDS_H_
#define TENANTRY_SERVICES_PROFILE_FIELDS_H_

// Conversions between profile and post messages and storage records, and
// the checks on their fields.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/request_validator.h"
#include "services/update_mask.h"
#include "storage/records.h"
#include "tenantry/v1/profile.pb.h"

namespace tenantry::services {

// Decides whether a field path is written; see UpdateMask::Covers.
using FieldSelector = std::function<bool(absl::string_view path)>;

// Selects every field, as a create does.
bool SelectAllFields(absl::string_view path);

const UpdateMask::Fields& ProfileMaskFields();

// The paths of the fields that are set in `profile`, for an update without
// a mask.
std::vector<std::string> SetProfilePaths(const tenantry::v1::Profile& profile);

// Checks the selected fields of `profile`, naming them `profile.<path>`.
void ValidateProfileFields(const tenantry::v1::Profile& profile,
                           const FieldSelector& selected,
                           RequestValidator& validator);

// Copies the selected fields of `profile` into `record`; unset privacy
// settings take their defaults. When the role changes, the info of the
// old role is cleared unless the request writes it. Returns
// INVALID_ARGUMENT if the result has student info without role STUDENT,
// or teacher info without role TEACHER.
absl::Status ApplyProfileFields(const tenantry::v1::Profile& profile,
                                const FieldSelector& selected,
                                storage::ProfileRecord& record);

void ProfileToProto(absl::string_view tenant_id,
                    const storage::ProfileRecord& record,
                    tenantry::v1::Profile* profile);

// Checks a new post's fields.
void ValidatePost(const tenantry::v1::Post& post, RequestValidator& validator);

storage::PostRecord PostFromProto(const tenantry::v1::Post& post,
                                  absl::string_view profile_id);

void PostToProto(absl::string_view tenant_id, const storage::PostRecord& record,
                 tenantry::v1::Post* post);

// Parses a role name of the ListProfiles filter, for example `STUDENT`.
bool ParseRoleName(absl::string_view name, storage::Role* role);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_PROFILE_FIELDS_H_
