#ifndef TENANTRY_SERVICES_RESOURCE_NAMES_H_
#define TENANTRY_SERVICES_RESOURCE_NAMES_H_

// Resource names of the API (AIP-122) and their parsing. Parsers take the
// request field's name so that errors name the wrong field, and
// return INVALID_ARGUMENT for a malformed name.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tenantry::services {

std::string TenantName(absl::string_view tenant_id);
std::string UserName(absl::string_view user_id);
std::string ProfileName(absl::string_view tenant_id,
                        absl::string_view profile_id);
std::string PostName(absl::string_view tenant_id, absl::string_view profile_id,
                     absl::string_view post_id);
std::string DocumentName(absl::string_view tenant_id,
                         absl::string_view document_id);

// `tenants/{tenant}` → tenant id.
std::string ApiKeyName(absl::string_view tenant_id, absl::string_view key_id);

absl::StatusOr<std::string> ParseTenantName(absl::string_view field,
                                            absl::string_view name);

// `tenants/{tenant}/usage` → tenant id.
std::string TenantUsageName(absl::string_view tenant_id);
absl::StatusOr<std::string> ParseTenantUsageName(absl::string_view field,
                                                 absl::string_view name);

// `users/{user}` → user id.
absl::StatusOr<std::string> ParseUserName(absl::string_view field,
                                          absl::string_view name);

// Parses `tenants/{tenant}` and checks that it is the call's tenant.
absl::Status CheckParentTenant(absl::string_view field, absl::string_view name,
                               absl::string_view call_tenant_id);

// `tenants/{tenant}/profiles/{profile}` of the call's tenant → profile id.
absl::StatusOr<std::string> ParseProfileName(absl::string_view field,
                                             absl::string_view name,
                                             absl::string_view call_tenant_id);

// `tenants/{tenant}/documents/{document}` of the call's tenant → id.
absl::StatusOr<std::string> ParseDocumentName(absl::string_view field,
                                              absl::string_view name,
                                              absl::string_view call_tenant_id);

// The ids in `tenants/{tenant}/apiKeys/{api_key}`.
struct ApiKeyId {
  std::string tenant_id;
  std::string key_id;
};

// Parses `tenants/{tenant}/apiKeys/{api_key}`, or returns INVALID_ARGUMENT
// naming `field`.
absl::StatusOr<ApiKeyId> ParseApiKeyName(absl::string_view field,
                                         absl::string_view name);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_RESOURCE_NAMES_H_
