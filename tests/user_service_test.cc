#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "storage/ids.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateUserRequest;
using tenantry::v1::GetUserRequest;
using tenantry::v1::ListUsersRequest;
using tenantry::v1::ListUsersResponse;
using tenantry::v1::UpdateUserRequest;
using tenantry::v1::User;

// Runs against both shared-store backends.
class UserServiceTest : public ::testing::TestWithParam<SharedStoreBackend> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start({}, GetParam());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  grpc::Status CreateUser(absl::string_view email,
                          absl::string_view display_name, User* user) {
    CreateUserRequest request;
    request.mutable_user()->set_email(std::string(email));
    request.mutable_user()->set_display_name(std::string(display_name));
    return server_->users().CreateUser(TestServer::Context().get(), request,
                                       user);
  }

  grpc::Status GetUser(absl::string_view name, User* user) {
    GetUserRequest request;
    request.set_name(std::string(name));
    return server_->users().GetUser(TestServer::Context().get(), request, user);
  }

  grpc::Status UpdateUser(const UpdateUserRequest& request, User* user) {
    return server_->users().UpdateUser(TestServer::Context().get(), request,
                                       user);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_P(UserServiceTest, CreateUserReturnsUserWithGeneratedName) {
  User user;

  const grpc::Status status = CreateUser("ada@example.com", "Ada", &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  absl::string_view id = user.name();
  EXPECT_TRUE(absl::ConsumePrefix(&id, "users/")) << user.name();
  EXPECT_TRUE(storage::IsResourceId(id)) << user.name();
  EXPECT_EQ(user.email(), "ada@example.com");
  EXPECT_EQ(user.display_name(), "Ada");
  EXPECT_FALSE(user.etag().empty());
  EXPECT_GT(user.create_time().seconds(), 0);
}

TEST_P(UserServiceTest, CreateUserIgnoresNameInRequest) {
  const std::string requested_name =
      absl::StrCat("users/", storage::NewResourceId());
  CreateUserRequest request;
  request.mutable_user()->set_name(requested_name);
  request.mutable_user()->set_email("ada@example.com");
  request.mutable_user()->set_display_name("Ada");
  User user;

  const grpc::Status status =
      server_->users().CreateUser(TestServer::Context().get(), request, &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_NE(user.name(), requested_name);
}

TEST_P(UserServiceTest, CreateUsersGetDistinctNames) {
  const User first = server_->CreateUser("ada@example.com");
  const User second = server_->CreateUser("bob@example.com");

  EXPECT_NE(first.name(), second.name());
}

TEST_P(UserServiceTest, CreateUserWithoutEmailReturnsInvalidArgument) {
  User user;

  const grpc::Status status = CreateUser("", "Ada", &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(UserServiceTest, CreateUserWithMalformedEmailReturnsInvalidArgument) {
  const std::string malformed_emails[] = {
      "ada",          "@example.com",     "ada@",
      "ada@example",  "ada@@example.com", "ada @example.com",
      "ada@example.", "ada@.com",         std::string(250, 'a') + "@x.io",
  };
  for (const std::string& email : malformed_emails) {
    SCOPED_TRACE(absl::StrCat("email \"", email, "\""));
    User user;

    const grpc::Status status = CreateUser(email, "Ada", &user);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_P(UserServiceTest, CreateUserWithoutDisplayNameReturnsInvalidArgument) {
  User user;

  const grpc::Status status = CreateUser("ada@example.com", "", &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(UserServiceTest, CreateUserWithLongDisplayNameReturnsInvalidArgument) {
  User user;

  const grpc::Status status =
      CreateUser("ada@example.com", std::string(201, 'a'), &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(UserServiceTest, CreateUserWithTakenEmailReturnsAlreadyExists) {
  server_->CreateUser("ada@example.com");
  User user;

  const grpc::Status status = CreateUser("ada@example.com", "Ada 2", &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();
}

TEST_P(UserServiceTest, CreateUserWithEmailDifferingInCaseReturnsExists) {
  server_->CreateUser("ada@example.com");
  User user;

  const grpc::Status status = CreateUser("Ada@Example.COM", "Ada 2", &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();
}

TEST_P(UserServiceTest, CreateUserKeepsLetterCaseOfEmail) {
  User user;

  const grpc::Status status = CreateUser("Ada@Example.com", "Ada", &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(user.email(), "Ada@Example.com");
}

TEST_P(UserServiceTest, GetUserReturnsCreatedUser) {
  const User created = server_->CreateUser("ada@example.com");
  User user;

  const grpc::Status status = GetUser(created.name(), &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(user.name(), created.name());
  EXPECT_EQ(user.email(), "ada@example.com");
  EXPECT_EQ(user.display_name(), "ada");
  EXPECT_EQ(user.etag(), created.etag());
}

TEST_P(UserServiceTest, GetMissingUserReturnsNotFound) {
  User user;

  const grpc::Status status =
      GetUser(absl::StrCat("users/", storage::NewResourceId()), &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_P(UserServiceTest, GetUserWithMalformedNameReturnsInvalidArgument) {
  const User created = server_->CreateUser("ada@example.com");
  const std::string malformed_names[] = {
      "",
      "users/",
      "users/ada",
      "user/" + created.name().substr(6),
      created.name() + "/extra",
      absl::StrCat("users/", std::string(26, 'u')),
      absl::StrCat("tenants/acme/", created.name()),
  };
  for (const std::string& name : malformed_names) {
    SCOPED_TRACE(absl::StrCat("name \"", name, "\""));
    User user;

    const grpc::Status status = GetUser(name, &user);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_P(UserServiceTest, ListUsersReturnsUsersInCreationOrder) {
  const User first = server_->CreateUser("ada@example.com");
  const User second = server_->CreateUser("bob@example.com");
  const User third = server_->CreateUser("cy@example.com");
  ListUsersRequest request;
  ListUsersResponse response;

  const grpc::Status status = server_->users().ListUsers(
      TestServer::Context().get(), request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.users_size(), 3);
  EXPECT_EQ(response.users(0).name(), first.name());
  EXPECT_EQ(response.users(1).name(), second.name());
  EXPECT_EQ(response.users(2).name(), third.name());
  EXPECT_EQ(response.next_page_token(), "");
}

TEST_P(UserServiceTest, UpdateUserWithoutMaskKeepsUnsetFields) {
  const User created = server_->CreateUser("ada@example.com");
  UpdateUserRequest request;
  request.mutable_user()->set_name(created.name());
  request.mutable_user()->set_display_name("Ada Lovelace");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(user.display_name(), "Ada Lovelace");
  EXPECT_EQ(user.email(), "ada@example.com");
  EXPECT_NE(user.etag(), created.etag());
  User stored;
  ASSERT_EQ(GetUser(created.name(), &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.display_name(), "Ada Lovelace");
  EXPECT_EQ(stored.email(), "ada@example.com");
}

TEST_P(UserServiceTest, UpdateUserWithMaskIgnoresFieldsOutsideMask) {
  const User created = server_->CreateUser("ada@example.com");
  UpdateUserRequest request;
  request.mutable_user()->set_name(created.name());
  request.mutable_user()->set_email("lovelace@example.com");
  request.mutable_user()->set_display_name("Ada Lovelace");
  request.mutable_update_mask()->add_paths("email");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(user.email(), "lovelace@example.com");
  EXPECT_EQ(user.display_name(), "ada");
}

TEST_P(UserServiceTest, UpdateUserAcceptsCamelCaseMaskPath) {
  const User created = server_->CreateUser("ada@example.com");
  UpdateUserRequest request;
  request.mutable_user()->set_name(created.name());
  request.mutable_user()->set_display_name("Ada Lovelace");
  request.mutable_update_mask()->add_paths("displayName");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(user.display_name(), "Ada Lovelace");
}

TEST_P(UserServiceTest, UpdateUserIgnoresOutputOnlyMaskPaths) {
  const User created = server_->CreateUser("ada@example.com");
  UpdateUserRequest request;
  request.mutable_user()->set_name(created.name());
  request.mutable_user()->set_display_name("Ada Lovelace");
  request.mutable_update_mask()->add_paths("display_name");
  request.mutable_update_mask()->add_paths("create_time");
  request.mutable_update_mask()->add_paths("etag");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(user.display_name(), "Ada Lovelace");
  EXPECT_EQ(user.create_time().seconds(), created.create_time().seconds());
  EXPECT_EQ(user.create_time().nanos(), created.create_time().nanos());
}

TEST_P(UserServiceTest, UpdateUserWithUnknownMaskPathReturnsInvalidArgument) {
  const User created = server_->CreateUser("ada@example.com");
  UpdateUserRequest request;
  request.mutable_user()->set_name(created.name());
  request.mutable_user()->set_display_name("Ada Lovelace");
  request.mutable_update_mask()->add_paths("nickname");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(UserServiceTest, UpdateUserMaskedEmptyEmailReturnsInvalidArgument) {
  const User created = server_->CreateUser("ada@example.com");
  UpdateUserRequest request;
  request.mutable_user()->set_name(created.name());
  request.mutable_update_mask()->add_paths("email");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(UserServiceTest, UpdateUserToEmailOfOtherUserReturnsAlreadyExists) {
  server_->CreateUser("ada@example.com");
  const User bob = server_->CreateUser("bob@example.com");
  UpdateUserRequest request;
  request.mutable_user()->set_name(bob.name());
  request.mutable_user()->set_email("ADA@example.com");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();
  User stored;
  ASSERT_EQ(GetUser(bob.name(), &stored).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(stored.email(), "bob@example.com");
}

TEST_P(UserServiceTest, UpdateUserEmailLetterCaseOfOwnEmailSucceeds) {
  const User created = server_->CreateUser("ada@example.com");
  UpdateUserRequest request;
  request.mutable_user()->set_name(created.name());
  request.mutable_user()->set_email("Ada@Example.com");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(user.email(), "Ada@Example.com");
}

TEST_P(UserServiceTest, UpdateUserWithStaleEtagReturnsAborted) {
  const User created = server_->CreateUser("ada@example.com");
  UpdateUserRequest first;
  first.mutable_user()->set_name(created.name());
  first.mutable_user()->set_display_name("First");
  first.mutable_user()->set_etag(created.etag());
  User updated;
  ASSERT_EQ(UpdateUser(first, &updated).error_code(), grpc::StatusCode::OK);
  UpdateUserRequest second = first;
  second.mutable_user()->set_display_name("Second");
  User user;

  const grpc::Status status = UpdateUser(second, &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED)
      << status.error_message();
  User stored;
  ASSERT_EQ(GetUser(created.name(), &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.display_name(), "First");
}

TEST_P(UserServiceTest, UpdateMissingUserReturnsNotFound) {
  UpdateUserRequest request;
  request.mutable_user()->set_name(
      absl::StrCat("users/", storage::NewResourceId()));
  request.mutable_user()->set_display_name("Nobody");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_P(UserServiceTest, UpdateUserWithMalformedNameReturnsInvalidArgument) {
  UpdateUserRequest request;
  request.mutable_user()->set_name("users/ada");
  request.mutable_user()->set_display_name("Ada");
  User user;

  const grpc::Status status = UpdateUser(request, &user);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

INSTANTIATE_TEST_SUITE_P(Backends, UserServiceTest,
                         ::testing::Values(SharedStoreBackend::kSqlite,
                                           SharedStoreBackend::kPostgres),
                         SharedStoreBackendName);

}  // namespace
}  // namespace tenantry::tests
