#include "services/resource_names.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/field_violations.h"
#include "storage/ids.h"
#include "storage/quoting.h"
#include "storage/status_macros.h"

namespace tenantry::services {
namespace {

absl::Status MalformedName(absl::string_view field, absl::string_view name,
                           absl::string_view pattern) {
  if (name.empty()) {
    return InvalidFieldError(
        field, absl::StrCat("is required, in the form ", pattern));
  }
  return InvalidFieldError(
      field, absl::StrCat(storage::QuoteForMessage(name),
                          " is not a resource name of the form ", pattern));
}

// Splits `name` into segments and checks the collection ids at the even
// positions against `collections`. Returns the ids at the odd positions.
absl::StatusOr<std::vector<std::string>> SplitName(
    absl::string_view field, absl::string_view name,
    const std::vector<absl::string_view>& collections,
    absl::string_view pattern) {
  std::vector<std::string> segments = absl::StrSplit(name, '/');
  if (segments.size() != 2 * collections.size()) {
    return MalformedName(field, name, pattern);
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < collections.size(); ++i) {
    if (segments[2 * i] != collections[i] || segments[2 * i + 1].empty()) {
      return MalformedName(field, name, pattern);
    }
    ids.push_back(segments[2 * i + 1]);
  }
  return ids;
}

absl::Status CheckTenantId(absl::string_view field, absl::string_view name,
                           absl::string_view tenant_id) {
  absl::Status status = storage::ValidateTenantId(tenant_id);
  if (status.ok()) return status;
  return InvalidFieldError(field, absl::StrCat(storage::QuoteForMessage(name),
                                               " has an ", status.message()));
}

absl::Status CheckResourceId(absl::string_view field, absl::string_view name,
                             absl::string_view id) {
  if (storage::IsResourceId(id)) return absl::OkStatus();
  return InvalidFieldError(
      field,
      absl::StrCat(storage::QuoteForMessage(name), " has an id ",
                   storage::QuoteForMessage(id),
                   " that this server never issues; use a name returned by "
                   "the API"));
}

absl::Status CheckSameTenant(absl::string_view field, absl::string_view name,
                             absl::string_view tenant_id,
                             absl::string_view call_tenant_id) {
  if (tenant_id == call_tenant_id) return absl::OkStatus();
  return InvalidFieldError(
      field, absl::StrCat(storage::QuoteForMessage(name), " belongs to tenant ",
                          storage::QuoteForMessage(tenant_id),
                          " but the x-tenant-id metadata is ",
                          storage::QuoteForMessage(call_tenant_id),
                          "; use names of the tenant you call"));
}

// Parses `tenants/{tenant}/{collection}/{id}` of the call's tenant.
absl::StatusOr<std::string> ParseTenantChildName(
    absl::string_view field, absl::string_view name,
    absl::string_view collection, absl::string_view call_tenant_id) {
  const std::string pattern =
      absl::StrCat("tenants/{tenant}/", collection, "/{id}");
  TENANTRY_ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      SplitName(field, name, {"tenants", collection}, pattern));
  TENANTRY_RETURN_IF_ERROR(CheckTenantId(field, name, ids[0]));
  TENANTRY_RETURN_IF_ERROR(
      CheckSameTenant(field, name, ids[0], call_tenant_id));
  TENANTRY_RETURN_IF_ERROR(CheckResourceId(field, name, ids[1]));
  return ids[1];
}

}  // namespace

std::string TenantName(absl::string_view tenant_id) {
  return absl::StrCat("tenants/", tenant_id);
}

std::string UserName(absl::string_view user_id) {
  return absl::StrCat("users/", user_id);
}

std::string ProfileName(absl::string_view tenant_id,
                        absl::string_view profile_id) {
  return absl::StrCat("tenants/", tenant_id, "/profiles/", profile_id);
}

std::string PostName(absl::string_view tenant_id, absl::string_view profile_id,
                     absl::string_view post_id) {
  return absl::StrCat("tenants/", tenant_id, "/profiles/", profile_id,
                      "/posts/", post_id);
}

std::string DocumentName(absl::string_view tenant_id,
                         absl::string_view document_id) {
  return absl::StrCat("tenants/", tenant_id, "/documents/", document_id);
}

std::string ApiKeyName(absl::string_view tenant_id, absl::string_view key_id) {
  return absl::StrCat("tenants/", tenant_id, "/apiKeys/", key_id);
}

absl::StatusOr<std::string> ParseTenantName(absl::string_view field,
                                            absl::string_view name) {
  TENANTRY_ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      SplitName(field, name, {"tenants"}, "tenants/{tenant}"));
  TENANTRY_RETURN_IF_ERROR(CheckTenantId(field, name, ids[0]));
  return ids[0];
}

std::string TenantUsageName(absl::string_view tenant_id) {
  return absl::StrCat("tenants/", tenant_id, "/usage");
}

absl::StatusOr<std::string> ParseTenantUsageName(absl::string_view field,
                                                 absl::string_view name) {
  constexpr absl::string_view kPattern = "tenants/{tenant}/usage";
  // A singleton resource: `usage` has no id, so SplitName's pairs of
  // collection and id do not fit.
  const std::vector<absl::string_view> segments = absl::StrSplit(name, '/');
  if (segments.size() != 3 || segments[0] != "tenants" || segments[1].empty() ||
      segments[2] != "usage") {
    return MalformedName(field, name, kPattern);
  }
  TENANTRY_RETURN_IF_ERROR(CheckTenantId(field, name, segments[1]));
  return std::string(segments[1]);
}

absl::StatusOr<std::string> ParseUserName(absl::string_view field,
                                          absl::string_view name) {
  TENANTRY_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                            SplitName(field, name, {"users"}, "users/{user}"));
  TENANTRY_RETURN_IF_ERROR(CheckResourceId(field, name, ids[0]));
  return ids[0];
}

absl::Status CheckParentTenant(absl::string_view field, absl::string_view name,
                               absl::string_view call_tenant_id) {
  TENANTRY_ASSIGN_OR_RETURN(const std::string tenant_id,
                            ParseTenantName(field, name));
  return CheckSameTenant(field, name, tenant_id, call_tenant_id);
}

absl::StatusOr<std::string> ParseProfileName(absl::string_view field,
                                             absl::string_view name,
                                             absl::string_view call_tenant_id) {
  return ParseTenantChildName(field, name, "profiles", call_tenant_id);
}

absl::StatusOr<std::string> ParseDocumentName(
    absl::string_view field, absl::string_view name,
    absl::string_view call_tenant_id) {
  return ParseTenantChildName(field, name, "documents", call_tenant_id);
}

absl::StatusOr<ApiKeyId> ParseApiKeyName(absl::string_view field,
                                         absl::string_view name) {
  constexpr absl::string_view kPattern = "tenants/{tenant}/apiKeys/{api_key}";
  TENANTRY_ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      SplitName(field, name, {"tenants", "apiKeys"}, kPattern));
  TENANTRY_RETURN_IF_ERROR(CheckTenantId(field, name, ids[0]));
  TENANTRY_RETURN_IF_ERROR(CheckResourceId(field, name, ids[1]));
  return ApiKeyId{ids[0], ids[1]};
}

}  // namespace tenantry::services
