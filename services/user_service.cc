#include "services/user_service.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
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

using storage::UserRecord;
using tenantry::v1::User;

const UpdateMask::Fields& UserMaskFields() {
  static const auto* const fields =
      new UpdateMask::Fields{{"email", "display_name"},
                             {"name", "create_time", "update_time", "etag"}};
  return *fields;
}

void ValidateUserFields(const User& user, const UpdateMask* mask,
                        RequestValidator& validator) {
  if (mask == nullptr || mask->Covers("email")) {
    validator.Required("user.email", user.email());
    validator.Email("user.email", user.email());
  }
  if (mask == nullptr || mask->Covers("display_name")) {
    validator.Required("user.display_name", user.display_name());
    validator.MaxLength("user.display_name", user.display_name(),
                        kMaxDisplayNameLength);
  }
}

std::vector<std::string> SetUserPaths(const User& user) {
  std::vector<std::string> paths;
  if (!user.email().empty()) paths.push_back("email");
  if (!user.display_name().empty()) paths.push_back("display_name");
  return paths;
}

}  // namespace

void UserToProto(const UserRecord& record, User* user) {
  user->set_name(UserName(record.id));
  user->set_email(record.email);
  user->set_display_name(record.display_name);
  SetTimestamp(record.create_time, user->mutable_create_time());
  SetTimestamp(record.update_time, user->mutable_update_time());
  user->set_etag(EtagForRevision(record.revision));
}

grpc::Status UserServiceImpl::CreateUser(
    grpc::ServerContext* context,
    const tenantry::v1::CreateUserRequest* request, User* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    RequestValidator validator;
    ValidateUserFields(request->user(), /*mask=*/nullptr, validator);
    TENANTRY_RETURN_IF_ERROR(validator.Finish());
    TENANTRY_ASSIGN_OR_RETURN(
        const std::optional<storage::RequestKey> request_key,
        RequestKeyFor("CreateUser", *request, "request_id",
                      request->request_id()));

    UserRecord record;
    record.id = storage::NewResourceId();
    record.email = request->user().email();
    record.display_name = request->user().display_name();
    // With a request_id, a repeat of the request returns the user that the
    // first one created, read again, instead of a duplicate email error.
    TENANTRY_ASSIGN_OR_RETURN(
        const UserRecord created,
        request_key.has_value()
            ? store_->CreateUserForRequest(record, *request_key)
            : store_->CreateUser(record));
    UserToProto(created, response);
    return absl::OkStatus();
  });
}

grpc::Status UserServiceImpl::GetUser(
    grpc::ServerContext* context, const tenantry::v1::GetUserRequest* request,
    User* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseUserName("name", request->name()));
    TENANTRY_ASSIGN_OR_RETURN(const UserRecord user, store_->GetUser(id));
    UserToProto(user, response);
    return absl::OkStatus();
  });
}

grpc::Status UserServiceImpl::ListUsers(
    grpc::ServerContext* context, const tenantry::v1::ListUsersRequest* request,
    tenantry::v1::ListUsersResponse* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    constexpr absl::string_view kArguments = "ListUsers";
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::PageRequest page,
        ParsePageRequest(request->page_size(), request->page_token(),
                         kArguments));
    TENANTRY_ASSIGN_OR_RETURN(const storage::Page<UserRecord> users,
                              store_->ListUsers(page));
    for (const UserRecord& user : users.items) {
      UserToProto(user, response->add_users());
    }
    if (!users.items.empty()) {
      response->set_next_page_token(
          NextPageToken(users.has_more, users.items.back().id, kArguments));
    }
    return absl::OkStatus();
  });
}

grpc::Status UserServiceImpl::UpdateUser(
    grpc::ServerContext* context,
    const tenantry::v1::UpdateUserRequest* request, User* response) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    const User& user = request->user();
    // Validate.
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseUserName("user.name", user.name()));
    TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                              ParseEtag("user.etag", user.etag()));
    TENANTRY_ASSIGN_OR_RETURN(
        const UpdateMask mask,
        UpdateMask::Create(
            request->has_update_mask() ? &request->update_mask() : nullptr,
            UserMaskFields(), SetUserPaths(user)));
    RequestValidator validator;
    ValidateUserFields(user, &mask, validator);
    TENANTRY_RETURN_IF_ERROR(validator.Finish());
    if (mask.empty()) {
      // Nothing to change: return the stored user with its etag unchanged.
      TENANTRY_ASSIGN_OR_RETURN(const UserRecord current, store_->GetUser(id));
      TENANTRY_RETURN_IF_ERROR(CheckEtag(etag, current.revision, user.name()));
      UserToProto(current, response);
      return absl::OkStatus();
    }

    // Apply the masked fields to the stored user.
    TENANTRY_ASSIGN_OR_RETURN(
        const UserRecord updated,
        store_->UpdateUser(id, [&](UserRecord& record) -> absl::Status {
          TENANTRY_RETURN_IF_ERROR(
              CheckEtag(etag, record.revision, user.name()));
          if (mask.Covers("email")) record.email = user.email();
          if (mask.Covers("display_name")) {
            record.display_name = user.display_name();
          }
          return absl::OkStatus();
        }));
    UserToProto(updated, response);
    return absl::OkStatus();
  });
}

}  // namespace tenantry::services
