#include "services/profile_service.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/etag.h"
#include "services/field_violations.h"
#include "services/list_filter.h"
#include "services/pagination.h"
#include "services/profile_fields.h"
#include "services/request_ids.h"
#include "services/request_validator.h"
#include "services/resource_names.h"
#include "services/tenant_call.h"
#include "services/update_mask.h"
#include "services/user_service.h"
#include "storage/profile_store.h"
#include "storage/quoting.h"
#include "storage/status_macros.h"

namespace tenantry::services {
namespace {

using storage::PostRecord;
using storage::ProfileRecord;
using storage::ProfileStore;
using tenantry::v1::Profile;

// Turns a ListProfiles filter into storage conditions.
absl::StatusOr<storage::ProfileFilter> ParseProfileFilter(
    absl::string_view filter) {
  TENANTRY_ASSIGN_OR_RETURN(const std::optional<FilterCondition> condition,
                            ParseFilter(filter, {"role", "slug"}));
  storage::ProfileFilter result;
  if (!condition.has_value()) return result;
  if (condition->field == "slug") {
    result.slug = condition->value;
    return result;
  }
  storage::Role role;
  if (!ParseRoleName(condition->value, &role)) {
    return InvalidFieldError(
        "filter",
        absl::StrCat(
            storage::QuoteForMessage(condition->value),
            " is not a role; use STUDENT, TEACHER or ROLE_UNSPECIFIED"));
  }
  result.role = role;
  return result;
}

// A profile's user is immutable; sending the same one back is allowed.
absl::Status CheckUserUnchanged(const Profile& request,
                                const ProfileRecord& stored) {
  if (request.user().empty() || request.user() == UserName(stored.user_id)) {
    return absl::OkStatus();
  }
  return InvalidFieldError("profile.user",
                           absl::StrCat("cannot change; the profile's user is ",
                                        UserName(stored.user_id)));
}

}  // namespace

grpc::Status ProfileServiceImpl::CreateProfile(
    grpc::ServerContext* context,
    const tenantry::v1::CreateProfileRequest* request, Profile* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        // Validate.
        TENANTRY_RETURN_IF_ERROR(
            CheckParentTenant("parent", request->parent(), call.tenant_id));
        const Profile& profile = request->profile();
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string user_id,
            ParseUserName("profile.user", profile.user()));
        RequestValidator validator;
        ValidateProfileFields(profile, SelectAllFields, validator);
        TENANTRY_RETURN_IF_ERROR(validator.Finish());
        storage::CreateOptions options;
        TENANTRY_ASSIGN_OR_RETURN(
            options.request_key,
            RequestKeyFor("CreateProfile", *request, "request_id",
                          request->request_id()));
        options.quota = call.context.tenant->quota;
        ProfileRecord record;
        record.user_id = user_id;
        TENANTRY_RETURN_IF_ERROR(
            ApplyProfileFields(profile, SelectAllFields, record));

        // The user must exist in the shared directory.
        TENANTRY_RETURN_IF_ERROR(
            tenants_->shared_store()->GetUser(user_id).status());

        // Insert; the UNIQUE constraint on user_id rejects a second profile.
        TENANTRY_ASSIGN_OR_RETURN(
            const ProfileRecord created,
            ProfileStore(call.database).Create(record, options));
        ProfileToProto(call.tenant_id, created, response);
        return absl::OkStatus();
      });
}

grpc::Status ProfileServiceImpl::GetProfile(
    grpc::ServerContext* context,
    const tenantry::v1::GetProfileRequest* request, Profile* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseProfileName("name", request->name(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(const ProfileRecord profile,
                                  ProfileStore(call.database).Get(id));
        ProfileToProto(call.tenant_id, profile, response);
        return absl::OkStatus();
      });
}

grpc::Status ProfileServiceImpl::LookupProfileByUser(
    grpc::ServerContext* context,
    const tenantry::v1::LookupProfileByUserRequest* request,
    tenantry::v1::LookupProfileByUserResponse* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        TENANTRY_RETURN_IF_ERROR(
            CheckParentTenant("parent", request->parent(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(const std::string user_id,
                                  ParseUserName("user", request->user()));
        TENANTRY_ASSIGN_OR_RETURN(const storage::UserRecord user,
                                  tenants_->shared_store()->GetUser(user_id));
        TENANTRY_ASSIGN_OR_RETURN(
            const std::optional<ProfileRecord> profile,
            ProfileStore(call.database).FindByUser(user_id));
        UserToProto(user, response->mutable_user());
        if (profile.has_value()) {
          ProfileToProto(call.tenant_id, *profile, response->mutable_profile());
        }
        return absl::OkStatus();
      });
}

grpc::Status ProfileServiceImpl::ListProfiles(
    grpc::ServerContext* context,
    const tenantry::v1::ListProfilesRequest* request,
    tenantry::v1::ListProfilesResponse* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        // Validate.
        TENANTRY_RETURN_IF_ERROR(
            CheckParentTenant("parent", request->parent(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(const storage::ProfileFilter filter,
                                  ParseProfileFilter(request->filter()));
        const std::string arguments = absl::StrCat(
            "ListProfiles|", request->parent(), "|", request->filter());
        TENANTRY_ASSIGN_OR_RETURN(
            const storage::PageRequest page,
            ParsePageRequest(request->page_size(), request->page_token(),
                             arguments));

        // Load and respond.
        TENANTRY_ASSIGN_OR_RETURN(
            const storage::Page<ProfileRecord> profiles,
            ProfileStore(call.database).List(filter, page));
        for (const ProfileRecord& profile : profiles.items) {
          ProfileToProto(call.tenant_id, profile, response->add_profiles());
        }
        if (!profiles.items.empty()) {
          response->set_next_page_token(NextPageToken(
              profiles.has_more, profiles.items.back().id, arguments));
        }
        return absl::OkStatus();
      });
}

grpc::Status ProfileServiceImpl::UpdateProfile(
    grpc::ServerContext* context,
    const tenantry::v1::UpdateProfileRequest* request, Profile* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        const Profile& profile = request->profile();
        // Validate.
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseProfileName("profile.name", profile.name(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                                  ParseEtag("profile.etag", profile.etag()));
        TENANTRY_ASSIGN_OR_RETURN(
            const UpdateMask mask,
            UpdateMask::Create(
                request->has_update_mask() ? &request->update_mask() : nullptr,
                ProfileMaskFields(), SetProfilePaths(profile)));
        const FieldSelector selected = [&mask](absl::string_view path) {
          return mask.Covers(path);
        };
        RequestValidator validator;
        ValidateProfileFields(profile, selected, validator);
        TENANTRY_RETURN_IF_ERROR(validator.Finish());
        if (mask.empty()) {
          // Nothing to change: return the stored profile with its etag
          // unchanged.
          TENANTRY_ASSIGN_OR_RETURN(const ProfileRecord current,
                                    ProfileStore(call.database).Get(id));
          TENANTRY_RETURN_IF_ERROR(
              CheckEtag(etag, current.revision, profile.name()));
          TENANTRY_RETURN_IF_ERROR(CheckUserUnchanged(profile, current));
          ProfileToProto(call.tenant_id, current, response);
          return absl::OkStatus();
        }

        // Apply the masked fields to the stored profile.
        TENANTRY_ASSIGN_OR_RETURN(
            const ProfileRecord updated,
            ProfileStore(call.database)
                .Update(id, [&](ProfileRecord& record) -> absl::Status {
                  TENANTRY_RETURN_IF_ERROR(
                      CheckEtag(etag, record.revision, profile.name()));
                  TENANTRY_RETURN_IF_ERROR(CheckUserUnchanged(profile, record));
                  return ApplyProfileFields(profile, selected, record);
                }));
        ProfileToProto(call.tenant_id, updated, response);
        return absl::OkStatus();
      });
}

grpc::Status ProfileServiceImpl::DeleteProfile(
    grpc::ServerContext* context,
    const tenantry::v1::DeleteProfileRequest* request,
    google::protobuf::Empty* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseProfileName("name", request->name(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                                  ParseEtag("etag", request->etag()));
        return ProfileStore(call.database).Delete(id, etag);
      });
}

grpc::Status ProfileServiceImpl::CreatePost(
    grpc::ServerContext* context,
    const tenantry::v1::CreatePostRequest* request,
    tenantry::v1::Post* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string profile_id,
            ParseProfileName("parent", request->parent(), call.tenant_id));
        RequestValidator validator;
        ValidatePost(request->post(), validator);
        TENANTRY_RETURN_IF_ERROR(validator.Finish());
        storage::CreateOptions options;
        TENANTRY_ASSIGN_OR_RETURN(
            options.request_key,
            RequestKeyFor("CreatePost", *request, "request_id",
                          request->request_id()));
        TENANTRY_ASSIGN_OR_RETURN(
            const PostRecord created,
            ProfileStore(call.database)
                .CreatePost(PostFromProto(request->post(), profile_id),
                            options));
        PostToProto(call.tenant_id, created, response);
        return absl::OkStatus();
      });
}

grpc::Status ProfileServiceImpl::ListPosts(
    grpc::ServerContext* context, const tenantry::v1::ListPostsRequest* request,
    tenantry::v1::ListPostsResponse* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string profile_id,
            ParseProfileName("parent", request->parent(), call.tenant_id));
        const std::string arguments =
            absl::StrCat("ListPosts|", request->parent());
        TENANTRY_ASSIGN_OR_RETURN(
            const storage::PageRequest page,
            ParsePageRequest(request->page_size(), request->page_token(),
                             arguments));
        TENANTRY_ASSIGN_OR_RETURN(
            const storage::Page<PostRecord> posts,
            ProfileStore(call.database).ListPosts(profile_id, page));
        for (const PostRecord& post : posts.items) {
          PostToProto(call.tenant_id, post, response->add_posts());
        }
        if (!posts.items.empty()) {
          response->set_next_page_token(
              NextPageToken(posts.has_more, posts.items.back().id, arguments));
        }
        return absl::OkStatus();
      });
}

}  // namespace tenantry::services
