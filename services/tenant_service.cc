#include "services/tenant_service.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/etag.h"
#include "services/grpc_status.h"
#include "services/pagination.h"
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
  static const auto* const fields =
      new UpdateMask::Fields{{"display_name", "state"},
                             {"name", "create_time", "update_time", "etag"}};
  return *fields;
}

void ToProto(const TenantRecord& record, Tenant* tenant) {
  tenant->set_name(TenantName(record.id));
  tenant->set_display_name(record.display_name);
  tenant->set_state(record.state == TenantState::kSuspended ? Tenant::SUSPENDED
                                                            : Tenant::ACTIVE);
  SetTimestamp(record.create_time, tenant->mutable_create_time());
  SetTimestamp(record.update_time, tenant->mutable_update_time());
  tenant->set_etag(EtagForRevision(record.revision));
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
  }
}

TenantState StateFromProto(Tenant::State state) {
  return state == Tenant::SUSPENDED ? TenantState::kSuspended
                                    : TenantState::kActive;
}

std::vector<std::string> SetTenantPaths(const Tenant& tenant) {
  std::vector<std::string> paths;
  if (!tenant.display_name().empty()) paths.push_back("display_name");
  if (tenant.state() != Tenant::STATE_UNSPECIFIED) paths.push_back("state");
  return paths;
}

}  // namespace

grpc::Status TenantServiceImpl::CreateTenant(
    grpc::ServerContext* context,
    const tenantry::v1::CreateTenantRequest* request, Tenant* response) {
  return ServeCall([&]() -> absl::Status {
    // Validate.
    RequestValidator validator;
    absl::Status id_status = storage::ValidateTenantId(request->tenant_id());
    if (!id_status.ok()) {
      validator.AddViolation("tenant_id", id_status.message());
    }
    ValidateTenantFields(request->tenant(), /*mask=*/nullptr, validator);
    TENANTRY_RETURN_IF_ERROR(validator.Finish());

    // Create the database, then register the tenant.
    TenantRecord record;
    record.id = request->tenant_id();
    record.display_name = request->tenant().display_name();
    record.state = StateFromProto(request->tenant().state());
    TENANTRY_ASSIGN_OR_RETURN(const TenantRecord created,
                              tenants_->Create(record));
    ToProto(created, response);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::GetTenant(
    grpc::ServerContext* context, const tenantry::v1::GetTenantRequest* request,
    Tenant* response) {
  return ServeCall([&]() -> absl::Status {
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
  return ServeCall([&]() -> absl::Status {
    constexpr absl::string_view kArguments = "ListTenants";
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::PageRequest page,
        ParsePageRequest(request->page_size(), request->page_token(),
                         kArguments));
    TENANTRY_ASSIGN_OR_RETURN(const storage::Page<TenantRecord> tenants,
                              tenants_->shared_store()->ListTenants(page));
    for (const TenantRecord& tenant : tenants.items) {
      ToProto(tenant, response->add_tenants());
    }
    if (!tenants.items.empty()) {
      response->set_next_page_token(
          NextPageToken(tenants.has_more, tenants.items.back().id, kArguments));
    }
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::UpdateTenant(
    grpc::ServerContext* context,
    const tenantry::v1::UpdateTenantRequest* request, Tenant* response) {
  return ServeCall([&]() -> absl::Status {
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
        tenants_->shared_store()->UpdateTenant(
            id, [&](TenantRecord& record) -> absl::Status {
              TENANTRY_RETURN_IF_ERROR(
                  CheckEtag(etag, record.revision, tenant.name()));
              if (mask.Covers("display_name")) {
                record.display_name = tenant.display_name();
              }
              if (mask.Covers("state")) {
                record.state = StateFromProto(tenant.state());
              }
              return absl::OkStatus();
            }));
    ToProto(updated, response);
    return absl::OkStatus();
  });
}

grpc::Status TenantServiceImpl::DeleteTenant(
    grpc::ServerContext* context,
    const tenantry::v1::DeleteTenantRequest* request,
    google::protobuf::Empty* response) {
  return ServeCall([&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantName("name", request->name()));
    TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                              ParseEtag("etag", request->etag()));
    return tenants_->Delete(id, etag);
  });
}

grpc::Status TenantServiceImpl::CheckTenantDatabase(
    grpc::ServerContext* context,
    const tenantry::v1::CheckTenantDatabaseRequest* request,
    tenantry::v1::CheckTenantDatabaseResponse* response) {
  return ServeCall([&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantName("name", request->name()));
    // Only registered tenants have a database to check.
    TENANTRY_RETURN_IF_ERROR(tenants_->shared_store()->GetTenant(id).status());
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

}  // namespace tenantry::services
