#ifndef TENANTRY_STORAGE_SHARED_STORE_ROWS_H_
#define TENANTRY_STORAGE_SHARED_STORE_ROWS_H_

// Row values and errors that every SharedStore implementation shares, so
// that both backends store the same text and return the same messages.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "storage/records.h"

namespace tenantry::storage {

// The text stored in tenants.state.
absl::string_view TenantStateName(TenantState state);
TenantState TenantStateFromName(absl::string_view name);

// Returns `tenant` as a create stores it: both times set to now, and the
// create time in microseconds as its first revision. A tenant id can be
// deleted and created again, and starting each tenant at a revision of its
// own keeps an etag of the old tenant from matching the new one.
TenantRecord NewTenantRecord(const TenantRecord& tenant);

// Rewrites the ALREADY_EXISTS of a taken tenant id into a message that
// names the id; other statuses pass through.
absl::Status DescribeTenantConflict(absl::Status status, absl::string_view id);

// Unset times are stored as NULL and read back through COALESCE as 0.
int64_t OptionalTimeToMicros(const std::optional<absl::Time>& time);
std::optional<absl::Time> OptionalTimeFromMicros(int64_t micros);

// Returns the email stored in users.email_key, which makes uniqueness
// ignore the case of ASCII letters.
std::string EmailKey(absl::string_view email);

absl::Status TenantNotFoundError(absl::string_view id);
absl::Status UserNotFoundError(absl::string_view id);
absl::Status ApiKeyNotFoundError(absl::string_view tenant_id,
                                 absl::string_view id);

// Rewrites the ALREADY_EXISTS of a unique email into a message that names
// the email; other statuses pass through.
absl::Status DescribeEmailConflict(absl::Status status,
                                   absl::string_view email);

// Returns `sqlite:<data_dir>/shared.db`, the shared store used when no URL
// is given.
std::string DefaultSharedStoreUrl(absl::string_view data_dir);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_SHARED_STORE_ROWS_H_
