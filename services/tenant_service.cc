#include "services/tenant_service.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/etag.h"
#include "services/grpc_status.h"
#include "services/pagination.h"
#include "services/request_ids.h"
#include "services/request_validator.h"
#include "services/resource_names.h"
#include "services/timestamps.h"
#include "services/update_mask.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::services {
namespace {

using storage::TenantRecord;
using storage::TenantState;
using tenantry::v1::Tenant;

const UpdateMask::Fields& TenantMaskFields() {
  static const auto* const fields = new UpdateMask::Fields{
      {"display_name", "state", "quota", "quota.max_profiles",
       "quota.max_documents", "quota.max_document_bytes"},
      {"name", "create_time", "update_time", "etag"}};
  return *fields;
}

void ToProto(const TenantRecord& record, Tenant* tenant) {
  tenant->set_name(TenantName(record.id));
  tenant->set_display_name(record.display_name);
  if (record.delete_time.has_value()) {
    tenant->set_state(Tenant::DELETED);
  } else {
    tenant->set_state(record.state == TenantState::kSuspended
                          ? Tenant::SUSPENDED
                          : Tenant::ACTIVE);
  }
  SetTimestamp(record.create_time, tenant->mutable_create_time());
  SetTimestamp(record.update_time, tenant->mutable_update_time());
  tenant->set_etag(EtagForRevision(record.revision));
  if (record.delete_time.has_value()) {
    SetTimestamp(*record.delete_time, tenant->mutable_delete_time());
  }
  if (record.purge_time.has_value()) {
    SetTimestamp(*record.purge_time, tenant->mutable_purge_time());
  }
  const storage::TenantQuota& quota = record.quota;
  if (quota.max_profiles != 0 || quota.max_documents != 0 ||
      quota.max_document_bytes != 0) {
    tenantry::v1::TenantQuota* out = tenant->mutable_quota();
    out->set_max_profiles(quota.max_profiles);
    out->set_max_documents(quota.max_documents);
    out->set_max_document_bytes(quota.max_document_bytes);
  }
}

// Checks the fields a client may write.
void ValidateTenantFields(const Tenant& tenant, const UpdateMask* mask,
                          RequestValidator& validator) {
  if (mask == nullptr || mask->Covers("display_name")) {
    validator.Required("tenant.display_name", tenant.display_name());
    validator.MaxLength("tenant.display_name", tenant.display_name(),
                        kMaxDisplayNameLength);
  }
  if (mask == nullptr || mask->Covers("state")) {
    const bool known_state = Tenant::State_IsValid(tenant.state());
    validator.EnumValue("tenant.state", tenant.state(), known_state);
    if (known_state && mask != nullptr &&
        tenant.state() == Tenant::STATE_UNSPECIFIED) {
      validator.AddViolation("tenant.state", "must be ACTIVE or SUSPENDED");
    }
    if (tenant.state() == Tenant::DELETED) {
      validator.AddViolation("tenant.state",
                             "must be ACTIVE or SUSPENDED; only DeleteTenant "
                             "makes a tenant DELETED");
    }
  }
  const tenantry::v1::TenantQuota& quota = tenant.quota();
  const auto check_limit = [&](absl::string_view path, int64_t value) {
    if ((mask == nullptr || mask->Covers(path)) && value < 0) {
      validator.AddViolation(
          absl::StrCat("tenant.", path),
          absl::StrCat("is ", value,
                       " but must be 0 or more; 0 means no limit"));
    }
  };
  check_limit("quota.max_profiles", quota.max_profiles());
  check_limit("quota.max_documents", quota.max_documents());
  check_limit("quota.max_document_bytes", quota.max_document_bytes());
}

storage::TenantQuota QuotaFromProto(const tenantry::v1::TenantQuota& quota) {
  storage::TenantQuota result;
  result.max_profiles = quota.max_profiles();
  result.max_documents = quota.max_documents();
  result.max_document_bytes = quota.max_document_bytes();
  return result;
}

TenantState StateFromProto(Tenant::State state) {
  return state == Tenant::SUSPENDED ? TenantState::kSuspended
                                    : TenantState::kActive;
}

std::vector<std::string> SetTenantPaths(const Tenant& tenant) {
  std::vector<std::string> paths;
  if (!tenant.display_name().empty()) paths.push_back("display_name");
  if (tenant.state() != Tenant::STATE_UNSPECIFIED) paths.push_back("state");
  // A set quota message replaces all three limits, with 0 for unset fields.
  if (tenant.has_quota()) paths.push_back("quota");
  return paths;
}

void ApiKeyToProto(const storage::ApiKeyRecord& record,
                   tenantry::v1::ApiKey* key) {
  key->set_name(ApiKeyName(record.tenant_id, record.id));
  key->set_display_name(record.display_name);
  SetTimestamp(record.create_time, key->mutable_create_time());
}

}  // namespace

void TenantToProto(const TenantRecord& record, Tenant* tenant) {
  ToProto(record, tenant);
}

grpc::Status TenantServiceImpl::CreateTenant(
    grpc::ServerContext* context,
    const tenantry::v1::CreateTenantRequest* request, Tenant* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    // Validate.
    RequestValidator validator;
    absl::Status id_status = storage::ValidateTenantId(request->tenant_id());
    if (!id_status.ok()) {
      validator.AddViolation("tenant_id", id_status.message());
    }
    ValidateTenantFields(request->tenant(), /*mask=*/nullptr, validator);
    TENANTRY_RETURN_IF_ERROR(validator.Finish());
    TENANTRY_ASSIGN_OR_RETURN(
        const std::optional<storage::RequestKey> request_key,
        RequestKeyFor("CreateTenant", *request, "request_id",
                      request->request_id()));

    // Create the database, then register the tenant.
    TenantRecord record;
    record.id = request->tenant_id();
    record.display_name = request->tenant().display_name();
    record.state = StateFromProto(request->tenant().state());
    record.quota = QuotaFromProto(request->tenant().quota());
    TENANTRY_ASSIGN_OR_RETURN(const TenantRecord created,
                              tenants_->Create(record, request_key));
    ToProto(created, response);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::GetTenant(
    grpc::ServerContext* context, const tenantry::v1::GetTenantRequest* request,
    Tenant* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantName("name", request->name()));
    TENANTRY_ASSIGN_OR_RETURN(const TenantRecord tenant,
                              tenants_->shared_store()->GetTenant(id));
    ToProto(tenant, response);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::ListTenants(
    grpc::ServerContext* context,
    const tenantry::v1::ListTenantsRequest* request,
    tenantry::v1::ListTenantsResponse* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    // A token of a list with DELETED tenants would skip or repeat rows in
    // a list without them, so the tokens differ.
    const absl::string_view arguments =
        request->show_deleted() ? "ListTenants show_deleted" : "ListTenants";
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::PageRequest page,
        ParsePageRequest(request->page_size(), request->page_token(),
                         arguments));
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::Page<TenantRecord> tenants,
        tenants_->shared_store()->ListTenants(page, request->show_deleted()));
    for (const TenantRecord& tenant : tenants.items) {
      ToProto(tenant, response->add_tenants());
    }
    if (!tenants.items.empty()) {
      response->set_next_page_token(
          NextPageToken(tenants.has_more, tenants.items.back().id, arguments));
    }
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::UpdateTenant(
    grpc::ServerContext* context,
    const tenantry::v1::UpdateTenantRequest* request, Tenant* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    const Tenant& tenant = request->tenant();
    // Validate.
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantName("tenant.name", tenant.name()));
    TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                              ParseEtag("tenant.etag", tenant.etag()));
    TENANTRY_ASSIGN_OR_RETURN(
        const UpdateMask mask,
        UpdateMask::Create(
            request->has_update_mask() ? &request->update_mask() : nullptr,
            TenantMaskFields(), SetTenantPaths(tenant)));
    RequestValidator validator;
    ValidateTenantFields(tenant, &mask, validator);
    TENANTRY_RETURN_IF_ERROR(validator.Finish());
    if (mask.empty()) {
      // Nothing to change: return the stored tenant with its etag unchanged.
      TENANTRY_ASSIGN_OR_RETURN(const TenantRecord current,
                                tenants_->shared_store()->GetTenant(id));
      TENANTRY_RETURN_IF_ERROR(
          CheckEtag(etag, current.revision, tenant.name()));
      ToProto(current, response);
      return absl::OkStatus();
    }

    // Apply the masked fields to the stored tenant.
    TENANTRY_ASSIGN_OR_RETURN(
        const TenantRecord updated,
        tenants_->Update(id, [&](TenantRecord& record) -> absl::Status {
          TENANTRY_RETURN_IF_ERROR(
              CheckEtag(etag, record.revision, tenant.name()));
          if (mask.Covers("display_name")) {
            record.display_name = tenant.display_name();
          }
          if (mask.Covers("state")) {
            record.state = StateFromProto(tenant.state());
          }
          const storage::TenantQuota quota = QuotaFromProto(tenant.quota());
          if (mask.Covers("quota.max_profiles")) {
            record.quota.max_profiles = quota.max_profiles;
          }
          if (mask.Covers("quota.max_documents")) {
            record.quota.max_documents = quota.max_documents;
          }
          if (mask.Covers("quota.max_document_bytes")) {
            record.quota.max_document_bytes = quota.max_document_bytes;
          }
          return absl::OkStatus();
        }));
    ToProto(updated, response);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::DeleteTenant(
    grpc::ServerContext* context,
    const tenantry::v1::DeleteTenantRequest* request, Tenant* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantName("name", request->name()));
    TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                              ParseEtag("etag", request->etag()));
    if (!request->force()) {
      // The API keys stay for an undelete. Meanwhile ResolveServable
      // rejects the tenant's calls, also those made with its keys.
      TENANTRY_ASSIGN_OR_RETURN(const TenantRecord deleted,
                                tenants_->SoftDelete(id, etag));
      ToProto(deleted, response);
      return absl::OkStatus();
    }
    TENANTRY_ASSIGN_OR_RETURN(const TenantRecord removed,
                              tenants_->ForceDelete(id, etag));
    if (authenticator_ != nullptr) authenticator_->ForgetTenant(id);
    ToProto(removed, response);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::CheckTenantDatabase(
    grpc::ServerContext* context,
    const tenantry::v1::CheckTenantDatabaseRequest* request,
    tenantry::v1::CheckTenantDatabaseResponse* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantName("name", request->name()));
    // Only registered tenants have a database to check. A deleted
    // tenant's file is kept but not opened, so that the purge can remove
    // it, and UndeleteTenant makes it checkable again.
    TENANTRY_ASSIGN_OR_RETURN(const TenantRecord tenant,
                              tenants_->shared_store()->GetTenant(id));
    if (tenant.delete_time.has_value()) {
      return storage::DeletedTenantError(tenant);
    }
    TENANTRY_ASSIGN_OR_RETURN(
        const std::shared_ptr<storage::TenantDatabase> database,
        tenants_->OpenDatabase(id));
    TENANTRY_ASSIGN_OR_RETURN(const storage::DatabaseHealth health,
                              storage::CheckDatabaseHealth(*database));
    response->set_schema_version(health.schema_version);
    response->set_quick_check(health.quick_check);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::CreateApiKey(
    grpc::ServerContext* context,
    const tenantry::v1::CreateApiKeyRequest* request,
    tenantry::v1::ApiKey* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string tenant_id,
                              ParseTenantName("parent", request->parent()));
    RequestValidator validator;
    const std::string& display_name = request->api_key().display_name();
    validator.Required("api_key.display_name", display_name);
    validator.MaxLength("api_key.display_name", display_name,
                        kMaxDisplayNameLength);
    TENANTRY_RETURN_IF_ERROR(validator.Finish());
    // A key of a deleted tenant could call nothing until an undelete.
    TENANTRY_ASSIGN_OR_RETURN(const TenantRecord tenant,
                              tenants_->shared_store()->GetTenant(tenant_id));
    if (tenant.delete_time.has_value()) {
      return storage::DeletedTenantError(tenant);
    }

    TENANTRY_ASSIGN_OR_RETURN(NewApiKey key,
                              GenerateApiKey(tenant_id, display_name));
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::ApiKeyRecord created,
        tenants_->shared_store()->CreateApiKey(key.record));
    ApiKeyToProto(created, response);
    response->set_key(key.key);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::ListApiKeys(
    grpc::ServerContext* context,
    const tenantry::v1::ListApiKeysRequest* request,
    tenantry::v1::ListApiKeysResponse* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string tenant_id,
                              ParseTenantName("parent", request->parent()));
    const std::string arguments = absl::StrCat("ListApiKeys ", tenant_id);
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::PageRequest page,
        ParsePageRequest(request->page_size(), request->page_token(),
                         arguments));
    // An unknown tenant is NOT_FOUND, not an empty list.
    TENANTRY_RETURN_IF_ERROR(
        tenants_->shared_store()->GetTenant(tenant_id).status());
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::Page<storage::ApiKeyRecord> keys,
        tenants_->shared_store()->ListApiKeys(tenant_id, page));
    for (const storage::ApiKeyRecord& key : keys.items) {
      ApiKeyToProto(key, response->add_api_keys());
    }
    if (!keys.items.empty()) {
      response->set_next_page_token(
          NextPageToken(keys.has_more, keys.items.back().id, arguments));
    }
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::DeleteApiKey(
    grpc::ServerContext* context,
    const tenantry::v1::DeleteApiKeyRequest* request,
    google::protobuf::Empty* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const ApiKeyId id,
                              ParseApiKeyName("name", request->name()));
    TENANTRY_RETURN_IF_ERROR(
        tenants_->shared_store()->DeleteApiKey(id.tenant_id, id.key_id));
    if (authenticator_ != nullptr) authenticator_->ForgetKey(id.key_id);
    return absl::OkStatus();
  });
}

}  // namespace tenantry::services
