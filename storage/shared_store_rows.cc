#include "storage/shared_store_rows.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace tenantry::storage {

absl::string_view TenantStateName(TenantState state) {
  return state == TenantState::kSuspended ? "suspended" : "active";
}

TenantState TenantStateFromName(absl::string_view name) {
  return name == "suspended" ? TenantState::kSuspended : TenantState::kActive;
}

TenantRecord NewTenantRecord(const TenantRecord& tenant) {
  TenantRecord created = tenant;
  created.create_time = created.update_time = CurrentTime();
  created.revision = absl::ToUnixMicros(created.create_time);
  return created;
}

absl::Status DescribeTenantConflict(absl::Status status, absl::string_view id) {
  if (!absl::IsAlreadyExists(status)) return status;
  return absl::AlreadyExistsError(
      absl::StrCat("tenant \"", id, "\" already exists"));
}

int64_t OptionalTimeToMicros(const std::optional<absl::Time>& time) {
  return time.has_value() ? absl::ToUnixMicros(*time) : 0;
}

std::optional<absl::Time> OptionalTimeFromMicros(int64_t micros) {
  if (micros == 0) return std::nullopt;
  return absl::FromUnixMicros(micros);
}

std::string EmailKey(absl::string_view email) {
  return absl::AsciiStrToLower(email);
}

absl::Status TenantNotFoundError(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("tenant \"", id, "\" not found"));
}

absl::Status UserNotFoundError(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("user \"", id, "\" not found"));
}

absl::Status ApiKeyNotFoundError(absl::string_view tenant_id,
                                 absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("API key \"tenants/", tenant_id,
                                          "/apiKeys/", id, "\" not found"));
}

absl::Status DescribeEmailConflict(absl::Status status,
                                   absl::string_view email) {
  if (!absl::IsAlreadyExists(status)) return status;
  return absl::AlreadyExistsError(
      absl::StrCat("a user with email \"", email, "\" already exists"));
}

std::string DefaultSharedStoreUrl(absl::string_view data_dir) {
  return absl::StrCat("sqlite:", data_dir, "/shared.db");
}

}  // namespace tenantry::storage
