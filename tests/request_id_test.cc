// request_id on CreateProfile and CreatePost through a real server. A
// repeated request returns the first result and writes nothing. The same
// id with another request is ALREADY_EXISTS, and concurrent repeats make
// one resource. Malformed ids are INVALID_ARGUMENT, and later creates
// delete ids older than 7 days.

#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "storage/sqlite.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreatePostRequest;
using tenantry::v1::CreateProfileRequest;
using tenantry::v1::Post;
using tenantry::v1::Profile;

// Returns the field paths of the status's google.rpc.BadRequest.
std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return fields;
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::BadRequest bad_request;
    if (any.type_url() != "type.googleapis.com/google.rpc.BadRequest" ||
        !bad_request.ParseFromString(any.value())) {
      continue;
    }
    for (const auto& violation : bad_request.field_violations()) {
      fields.push_back(violation.field());
    }
  }
  return fields;
}

class RequestIdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant("acme");
    user_ = server_->CreateUser("ann@example.com").name();
  }

  CreateProfileRequest ProfileRequest(absl::string_view request_id) {
    CreateProfileRequest request;
    request.set_parent("tenants/acme");
    request.mutable_profile()->set_user(user_);
    request.mutable_profile()->set_full_name("Ann");
    request.set_request_id(std::string(request_id));
    return request;
  }

  grpc::Status CreateProfile(const CreateProfileRequest& request,
                             Profile* created) {
    return server_->profiles().CreateProfile(
        TestServer::TenantContext("acme").get(), request, created);
  }

  CreatePostRequest PostRequest(const Profile& profile,
                                absl::string_view request_id) {
    CreatePostRequest request;
    request.set_parent(profile.name());
    request.mutable_post()->set_content("hello");
    request.set_request_id(std::string(request_id));
    return request;
  }

  grpc::Status CreatePost(const CreatePostRequest& request, Post* created) {
    return server_->profiles().CreatePost(
        TestServer::TenantContext("acme").get(), request, created);
  }

  std::string DatabasePath() const {
    return absl::StrCat(server_->data_dir(), "/tenants/acme.db");
  }

  // Runs `sql` on the tenant's file through a connection of its own and
  // returns the number in the first column of its first row.
  int64_t QueryNumber(const std::string& sql) {
    auto connection = storage::SqliteConnection::Open(DatabasePath(), {});
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return -1;
    auto statement = (*connection)->Prepare(sql);
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return -1;
    storage::StatementLease query(*statement);
    auto row = query->Step();
    EXPECT_TRUE(row.ok()) << row.status();
    if (!row.ok() || !*row) return -1;
    return query->ColumnInt(0);
  }

  void Execute(const std::string& sql) {
    auto connection = storage::SqliteConnection::Open(DatabasePath(), {});
    ASSERT_TRUE(connection.ok()) << connection.status();
    const absl::Status status = (*connection)->ExecuteScript(sql);
    ASSERT_TRUE(status.ok()) << status;
  }

  std::unique_ptr<TestServer> server_;
  std::string user_;
};

TEST_F(RequestIdTest, RepeatedProfileCreateReturnsFirstProfile) {
  const CreateProfileRequest request = ProfileRequest("req-1");
  Profile first;
  ASSERT_TRUE(CreateProfile(request, &first).ok());

  Profile second;
  const grpc::Status status = CreateProfile(request, &second);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(second.etag(), first.etag());
  EXPECT_EQ(second.full_name(), "Ann");
  EXPECT_EQ(second.create_time().seconds(), first.create_time().seconds());
  EXPECT_EQ(second.create_time().nanos(), first.create_time().nanos());
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM profiles"), 1);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids"), 1);
  EXPECT_EQ(QueryNumber("SELECT profiles FROM usage_counts"), 1);
}

TEST_F(RequestIdTest, RepeatedProfileCreateReturnsCurrentProfile) {
  const CreateProfileRequest request = ProfileRequest("req-1");
  Profile first;
  ASSERT_TRUE(CreateProfile(request, &first).ok());
  tenantry::v1::UpdateProfileRequest update;
  update.mutable_profile()->set_name(first.name());
  update.mutable_profile()->set_full_name("Ann Lee");
  update.mutable_update_mask()->add_paths("full_name");
  Profile updated;
  ASSERT_TRUE(server_->profiles()
                  .UpdateProfile(TestServer::TenantContext("acme").get(),
                                 update, &updated)
                  .ok());

  Profile second;
  const grpc::Status status = CreateProfile(request, &second);

  // The repeat reads the profile back rather than replaying the update.
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(second.full_name(), "Ann Lee");
  EXPECT_EQ(second.etag(), updated.etag());
}

TEST_F(RequestIdTest, ReusedProfileIdIsAlreadyExists) {
  Profile first;
  ASSERT_TRUE(CreateProfile(ProfileRequest("req-1"), &first).ok());
  CreateProfileRequest other = ProfileRequest("req-1");
  other.mutable_profile()->set_full_name("Someone Else");

  Profile second;
  const grpc::Status status = CreateProfile(other, &second);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(status.error_message(),
            "request_id \"req-1\" was already used for a different "
            "CreateProfile request; send a new request_id for a new request, "
            "or repeat the first request unchanged to get its result");
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM profiles"), 1);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM profiles WHERE full_name = "
                        "'Ann'"),
            1);
}

TEST_F(RequestIdTest, NewIdMakesNewProfile) {
  Profile first;
  ASSERT_TRUE(CreateProfile(ProfileRequest("req-1"), &first).ok());
  CreateProfileRequest other = ProfileRequest("req-2");
  other.mutable_profile()->set_user(
      server_->CreateUser("bob@example.com").name());

  Profile second;
  const grpc::Status status = CreateProfile(other, &second);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(second.name(), first.name());
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM profiles"), 2);
}

TEST_F(RequestIdTest, CreateWithoutIdRecordsNothing) {
  Profile created;
  ASSERT_TRUE(CreateProfile(ProfileRequest(""), &created).ok());

  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids"), 0);
}

TEST_F(RequestIdTest, MalformedIdsAreInvalid) {
  for (const std::string& request_id :
       {std::string("has space"), std::string("a/b"), std::string("a.b"),
        std::string("caf\xc3\xa9"), std::string("nul\0byte", 8),
        std::string(65, 'a')}) {
    SCOPED_TRACE(request_id);
    Profile created;

    const grpc::Status status =
        CreateProfile(ProfileRequest(request_id), &created);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"request_id"});
  }
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM profiles"), 0);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids"), 0);
}

TEST_F(RequestIdTest, LongestIdIsValid) {
  const std::string request_id = std::string(62, 'a') + "-_";  // 64 characters
  Profile created;

  const grpc::Status status =
      CreateProfile(ProfileRequest(request_id), &created);

  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(RequestIdTest, ConcurrentRepeatsMakeOneProfile) {
  constexpr int kThreads = 16;
  const CreateProfileRequest request =
      ProfileRequest("550e8400-e29b-41d4-a716-446655440000");
  absl::Mutex mutex;
  std::set<std::string> names;
  std::vector<std::string> errors;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Profile created;
      const grpc::Status status = CreateProfile(request, &created);
      absl::MutexLock lock(&mutex);
      if (status.ok()) {
        names.insert(created.name());
      } else {
        errors.push_back(status.error_message());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(names.size(), 1u);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM profiles"), 1);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids"), 1);
}

TEST_F(RequestIdTest, RepeatAfterDeleteIsNotFound) {
  const CreateProfileRequest request = ProfileRequest("req-1");
  Profile first;
  ASSERT_TRUE(CreateProfile(request, &first).ok());
  tenantry::v1::DeleteProfileRequest remove;
  remove.set_name(first.name());
  google::protobuf::Empty empty;
  ASSERT_TRUE(server_->profiles()
                  .DeleteProfile(TestServer::TenantContext("acme").get(),
                                 remove, &empty)
                  .ok());

  Profile second;
  const grpc::Status status = CreateProfile(request, &second);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            absl::StrCat("profile \"",
                         first.name().substr(first.name().rfind('/') + 1),
                         "\", which request_id \"req-1\" created, has been "
                         "deleted since; send a new request_id to create it "
                         "again"));
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM profiles"), 0);
}

TEST_F(RequestIdTest, RepeatAtQuotaReturnsProfile) {
  tenantry::v1::UpdateTenantRequest update;
  update.mutable_tenant()->set_name("tenants/acme");
  update.mutable_tenant()->mutable_quota()->set_max_profiles(1);
  tenantry::v1::Tenant tenant;
  ASSERT_TRUE(server_->tenants()
                  .UpdateTenant(TestServer::Context().get(), update, &tenant)
                  .ok());
  const CreateProfileRequest request = ProfileRequest("req-1");
  Profile first;
  ASSERT_TRUE(CreateProfile(request, &first).ok());

  Profile second;
  const grpc::Status status = CreateProfile(request, &second);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.name(), first.name());
}

TEST_F(RequestIdTest, RepeatedPostCreateReturnsFirstPost) {
  Profile profile;
  ASSERT_TRUE(CreateProfile(ProfileRequest(""), &profile).ok());
  const CreatePostRequest request = PostRequest(profile, "post-1");
  Post first;
  ASSERT_TRUE(CreatePost(request, &first).ok());

  Post second;
  const grpc::Status status = CreatePost(request, &second);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(second.content(), "hello");
  EXPECT_EQ(second.create_time().seconds(), first.create_time().seconds());
  EXPECT_EQ(second.create_time().nanos(), first.create_time().nanos());
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM posts"), 1);
  EXPECT_EQ(QueryNumber("SELECT posts FROM usage_counts"), 1);
}

TEST_F(RequestIdTest, ReusedPostIdIsAlreadyExists) {
  Profile profile;
  ASSERT_TRUE(CreateProfile(ProfileRequest(""), &profile).ok());
  Post first;
  ASSERT_TRUE(CreatePost(PostRequest(profile, "post-1"), &first).ok());
  CreatePostRequest other = PostRequest(profile, "post-1");
  other.mutable_post()->set_content("goodbye");

  Post second;
  const grpc::Status status = CreatePost(other, &second);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(status.error_message(),
            "request_id \"post-1\" was already used for a different "
            "CreatePost request; send a new request_id for a new request, "
            "or repeat the first request unchanged to get its result");
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM posts"), 1);
}

TEST_F(RequestIdTest, SameIdUnderOtherProfileIsAlreadyExists) {
  Profile ann;
  ASSERT_TRUE(CreateProfile(ProfileRequest(""), &ann).ok());
  CreateProfileRequest bob_request = ProfileRequest("");
  bob_request.mutable_profile()->set_user(
      server_->CreateUser("bob@example.com").name());
  Profile bob;
  ASSERT_TRUE(CreateProfile(bob_request, &bob).ok());
  Post first;
  ASSERT_TRUE(CreatePost(PostRequest(ann, "post-1"), &first).ok());

  Post second;
  const grpc::Status status = CreatePost(PostRequest(bob, "post-1"), &second);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM posts"), 1);
}

TEST_F(RequestIdTest, ConcurrentPostRepeatsMakeOnePost) {
  constexpr int kThreads = 16;
  Profile profile;
  ASSERT_TRUE(CreateProfile(ProfileRequest(""), &profile).ok());
  const CreatePostRequest request = PostRequest(profile, "post-1");
  absl::Mutex mutex;
  std::set<std::string> names;
  std::vector<std::string> errors;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Post created;
      const grpc::Status status = CreatePost(request, &created);
      absl::MutexLock lock(&mutex);
      if (status.ok()) {
        names.insert(created.name());
      } else {
        errors.push_back(status.error_message());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(names.size(), 1u);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM posts"), 1);
}

TEST_F(RequestIdTest, MethodsHaveSeparateIds) {
  Profile profile;
  ASSERT_TRUE(CreateProfile(ProfileRequest("shared-id"), &profile).ok());

  Post post;
  const grpc::Status status =
      CreatePost(PostRequest(profile, "shared-id"), &post);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids"), 2);
}

TEST_F(RequestIdTest, TenantsHaveSeparateIds) {
  server_->CreateTenant("other");
  Profile first;
  ASSERT_TRUE(CreateProfile(ProfileRequest("req-1"), &first).ok());
  CreateProfileRequest request = ProfileRequest("req-1");
  request.set_parent("tenants/other");

  Profile second;
  const grpc::Status status = server_->profiles().CreateProfile(
      TestServer::TenantContext("other").get(), request, &second);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.name().rfind("tenants/other/profiles/", 0), 0u);
}

TEST_F(RequestIdTest, CreatesDeleteIdsOlderThanSevenDays) {
  const int64_t now = absl::ToUnixMicros(absl::Now());
  const int64_t day = int64_t{24} * 3600 * 1000000;
  Execute(absl::StrCat(
      "INSERT INTO request_ids (method, request_id, request_sha256, "
      "resource_id, create_time) VALUES "
      "('CreateProfile', 'old', 'x', 'gone', ",
      now - 8 * day, "), ('CreateProfile', 'recent', 'x', 'kept', ",
      now - 6 * day, ")"));

  Profile created;
  ASSERT_TRUE(CreateProfile(ProfileRequest("req-1"), &created).ok());

  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids WHERE request_id = "
                        "'old'"),
            0);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids WHERE request_id = "
                        "'recent'"),
            1);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids WHERE request_id = "
                        "'req-1'"),
            1);
}

TEST_F(RequestIdTest, LongerRetentionKeepsOlderIds) {
  // A server with a 30-day --tenant_retention keeps an 8-day-old id.
  services::ServerOptions options;
  options.tenant_retention = absl::Hours(30 * 24);
  auto server = TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  server_->CreateTenant("acme");
  user_ = server_->CreateUser("ann@example.com").name();
  const int64_t now = absl::ToUnixMicros(absl::Now());
  const int64_t day = int64_t{24} * 3600 * 1000000;
  Execute(absl::StrCat(
      "INSERT INTO request_ids (method, request_id, request_sha256, "
      "resource_id, create_time) VALUES "
      "('CreateProfile', 'old', 'x', 'kept', ",
      now - 8 * day, "), ('CreateProfile', 'older', 'x', 'gone', ",
      now - 31 * day, ")"));

  Profile created;
  ASSERT_TRUE(CreateProfile(ProfileRequest("req-1"), &created).ok());

  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids WHERE request_id = "
                        "'old'"),
            1);
  EXPECT_EQ(QueryNumber("SELECT count(*) FROM request_ids WHERE request_id = "
                        "'older'"),
            0);
}

}  // namespace
}  // namespace tenantry::tests
