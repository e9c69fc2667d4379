#ifndef TENANTRY_SERVICES_USER_SERVICE_H_
#define TENANTRY_SERVICES_USER_SERVICE_H_

#include "services/request_context.h"
#include "storage/shared_store.h"
#include "tenantry/v1/user.grpc.pb.h"

namespace tenantry::services {

// tenantry.v1.UserService: the user directory shared by all tenants.
// Thread-safe.
class UserServiceImpl final : public tenantry::v1::UserService::Service {
 public:
  // `store` must outlive the service.
  // Both pointers must outlive the service.
  UserServiceImpl(storage::SharedStore* store,
                  const RequestContextRegistry* contexts)
      : store_(store), contexts_(contexts) {}

  grpc::Status CreateUser(grpc::ServerContext* context,
                          const tenantry::v1::CreateUserRequest* request,
                          tenantry::v1::User* response) override;
  grpc::Status GetUser(grpc::ServerContext* context,
                       const tenantry::v1::GetUserRequest* request,
                       tenantry::v1::User* response) override;
  grpc::Status ListUsers(grpc::ServerContext* context,
                         const tenantry::v1::ListUsersRequest* request,
                         tenantry::v1::ListUsersResponse* response) override;
  grpc::Status UpdateUser(grpc::ServerContext* context,
                          const tenantry::v1::UpdateUserRequest* request,
                          tenantry::v1::User* response) override;

 private:
  storage::SharedStore* const store_;
  const RequestContextRegistry* const contexts_;
};

// Fills `user` from a stored record; shared with ProfileService.
void UserToProto(const storage::UserRecord& record, tenantry::v1::User* user);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_USER_SERVICE_H_
