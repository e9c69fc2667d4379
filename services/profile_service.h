#ifndef TENANTRY_SERVICES_PROFILE_SERVICE_H_
#define TENANTRY_SERVICES_PROFILE_SERVICE_H_

#include "services/request_context.h"
#include "storage/tenant_registry.h"
#include "tenantry/v1/profile.grpc.pb.h"

namespace tenantry::services {

// tenantry.v1.ProfileService: profiles and posts of one tenant per call.
// Thread-safe.
class ProfileServiceImpl final : public tenantry::v1::ProfileService::Service {
 public:
  // Both pointers must outlive the service.
  ProfileServiceImpl(storage::TenantRegistry* tenants,
                     const RequestContextRegistry* contexts)
      : tenants_(tenants), contexts_(contexts) {}

  grpc::Status CreateProfile(grpc::ServerContext* context,
                             const tenantry::v1::CreateProfileRequest* request,
                             tenantry::v1::Profile* response) override;
  grpc::Status GetProfile(grpc::ServerContext* context,
                          const tenantry::v1::GetProfileRequest* request,
                          tenantry::v1::Profile* response) override;
  grpc::Status LookupProfileByUser(
      grpc::ServerContext* context,
      const tenantry::v1::LookupProfileByUserRequest* request,
      tenantry::v1::LookupProfileByUserResponse* response) override;
  grpc::Status ListProfiles(
      grpc::ServerContext* context,
      const tenantry::v1::ListProfilesRequest* request,
      tenantry::v1::ListProfilesResponse* response) override;
  grpc::Status UpdateProfile(grpc::ServerContext* context,
                             const tenantry::v1::UpdateProfileRequest* request,
                             tenantry::v1::Profile* response) override;
  grpc::Status DeleteProfile(grpc::ServerContext* context,
                             const tenantry::v1::DeleteProfileRequest* request,
                             google::protobuf::Empty* response) override;
  grpc::Status CreatePost(grpc::ServerContext* context,
                          const tenantry::v1::CreatePostRequest* request,
                          tenantry::v1::Post* response) override;
  grpc::Status ListPosts(grpc::ServerContext* context,
                         const tenantry::v1::ListPostsRequest* request,
                         tenantry::v1::ListPostsResponse* response) override;

 private:
  storage::TenantRegistry* const tenants_;
  const RequestContextRegistry* const contexts_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_PROFILE_SERVICE_H_
