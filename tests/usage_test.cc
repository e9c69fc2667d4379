// TenantService.GetTenantUsage through a real server. The counts follow
// creates, updates and deletes and match the tables of the tenant's file.
// database_bytes is the size of the file and its WAL. The name is checked,
// and only the admin may call the method.

#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "storage/sqlite.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::Document;
using tenantry::v1::GetTenantUsageRequest;
using tenantry::v1::Profile;
using tenantry::v1::Tenant;
using tenantry::v1::TenantUsage;

constexpr char kAdminKey[] = "usage-test-admin-key-0123456789";

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

int64_t FileSizeOrZero(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<int64_t>(size);
}

class UsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant("acme");
  }

  grpc::Status GetUsage(absl::string_view name, TenantUsage* usage) {
    GetTenantUsageRequest request;
    request.set_name(std::string(name));
    return server_->tenants().GetTenantUsage(TestServer::Context().get(),
                                             request, usage);
  }

  TenantUsage Usage() {
    TenantUsage usage;
    const grpc::Status status = GetUsage("tenants/acme/usage", &usage);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return usage;
  }

  std::string DatabasePath() const {
    return absl::StrCat(server_->data_dir(), "/tenants/acme.db");
  }

  // Runs a query that returns one number on the tenant's file, through a
  // connection of its own.
  int64_t QueryNumber(const std::string& sql) {
    storage::SqliteConnection::Options options;
    options.query_only = true;
    auto connection = storage::SqliteConnection::Open(DatabasePath(), options);
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

  tenantry::v1::Post CreatePost(const Profile& profile,
                                const std::string& content) {
    tenantry::v1::CreatePostRequest request;
    request.set_parent(profile.name());
    request.mutable_post()->set_content(content);
    tenantry::v1::Post post;
    const grpc::Status status = server_->profiles().CreatePost(
        TestServer::TenantContext("acme").get(), request, &post);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return post;
  }

  Document CreateDocument(const std::string& title, size_t size_bytes) {
    Document document;
    document.set_title(title);
    document.set_content(std::string(size_bytes, 'x'));
    document.set_content_type("text/plain");
    return server_->CreateDocument("acme", document);
  }

  void DeleteProfile(const Profile& profile) {
    tenantry::v1::DeleteProfileRequest request;
    request.set_name(profile.name());
    google::protobuf::Empty empty;
    const grpc::Status status = server_->profiles().DeleteProfile(
        TestServer::TenantContext("acme").get(), request, &empty);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(UsageTest, NewTenantHasZeroCounts) {
  const TenantUsage usage = Usage();

  EXPECT_EQ(usage.name(), "tenants/acme/usage");
  EXPECT_EQ(usage.profile_count(), 0);
  EXPECT_EQ(usage.post_count(), 0);
  EXPECT_EQ(usage.document_count(), 0);
  EXPECT_EQ(usage.document_bytes(), 0);
  EXPECT_GT(usage.database_bytes(), 0);
  EXPECT_EQ(usage.quota().max_profiles(), 0);
  EXPECT_EQ(usage.quota().max_documents(), 0);
  EXPECT_EQ(usage.quota().max_document_bytes(), 0);
}

TEST_F(UsageTest, CountsFollowCreatesUpdatesAndDeletes) {
  const Profile ann = server_->CreateUserWithProfile("acme", "ann@example.com");
  const Profile bob = server_->CreateUserWithProfile("acme", "bob@example.com");
  server_->CreateUserWithProfile("acme", "cy@example.com");
  CreatePost(ann, "one");
  CreatePost(ann, "two");
  CreatePost(bob, "three");
  const Document small = CreateDocument("small", 100);
  const Document large = CreateDocument("large", 5000);
  CreateDocument("kept", 250);
  // Deleting a profile deletes its posts (ON DELETE CASCADE).
  DeleteProfile(ann);
  tenantry::v1::UpdateDocumentRequest update;
  update.mutable_document()->set_name(small.name());
  update.mutable_document()->set_content(std::string(40, 'y'));
  update.mutable_update_mask()->add_paths("content");
  Document updated;
  ASSERT_TRUE(server_->documents()
                  .UpdateDocument(TestServer::TenantContext("acme").get(),
                                  update, &updated)
                  .ok());
  tenantry::v1::DeleteDocumentRequest remove;
  remove.set_name(large.name());
  google::protobuf::Empty empty;
  ASSERT_TRUE(server_->documents()
                  .DeleteDocument(TestServer::TenantContext("acme").get(),
                                  remove, &empty)
                  .ok());

  const TenantUsage usage = Usage();

  EXPECT_EQ(usage.profile_count(), 2);
  EXPECT_EQ(usage.post_count(), 1);
  EXPECT_EQ(usage.document_count(), 2);
  EXPECT_EQ(usage.document_bytes(), 40 + 250);
  EXPECT_EQ(usage.profile_count(),
            QueryNumber("SELECT count(*) FROM profiles"));
  EXPECT_EQ(usage.post_count(), QueryNumber("SELECT count(*) FROM posts"));
  EXPECT_EQ(usage.document_count(),
            QueryNumber("SELECT count(*) FROM documents"));
  EXPECT_EQ(usage.document_bytes(),
            QueryNumber("SELECT coalesce(sum(size_bytes), 0) FROM documents"));
}

// GetTenantUsage reads the counters, not the tables: a counter changed
// behind the server's back shows up as it is.
TEST_F(UsageTest, ReadsKeptCountersInsteadOfCountingRows) {
  server_->CreateUserWithProfile("acme", "ann@example.com");
  {
    auto connection = storage::SqliteConnection::Open(DatabasePath(), {});
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE((*connection)
                    ->ExecuteScript("UPDATE usage_counts SET profiles = 1000")
                    .ok());
  }

  EXPECT_EQ(Usage().profile_count(), 1000);
}

TEST_F(UsageTest, DatabaseBytesAreFileAndWalSizes) {
  server_->CreateUserWithProfile("acme", "ann@example.com");

  const TenantUsage usage = Usage();

  // No write runs between the call and the stat calls here.
  EXPECT_EQ(
      usage.database_bytes(),
      FileSizeOrZero(DatabasePath()) + FileSizeOrZero(DatabasePath() + "-wal"));
}

TEST_F(UsageTest, DatabaseBytesGrowWithData) {
  const Profile ann = server_->CreateUserWithProfile("acme", "ann@example.com");
  const int64_t before = Usage().database_bytes();
  ASSERT_GT(before, 0);

  // 50 posts of 9000 characters: about 450 KB of new rows.
  for (int i = 0; i < 50; ++i) {
    CreatePost(ann, std::string(9000, static_cast<char>('a' + i % 26)));
  }

  EXPECT_GE(Usage().database_bytes(), before + 400000);
}

TEST_F(UsageTest, ReportsQuotaAndReadTime) {
  tenantry::v1::UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->mutable_quota()->set_max_profiles(10);
  request.mutable_tenant()->mutable_quota()->set_max_documents(20);
  request.mutable_tenant()->mutable_quota()->set_max_document_bytes(30);
  Tenant tenant;
  ASSERT_TRUE(server_->tenants()
                  .UpdateTenant(TestServer::Context().get(), request, &tenant)
                  .ok());
  const int64_t before = absl::ToUnixSeconds(absl::Now());

  const TenantUsage usage = Usage();

  const int64_t after = absl::ToUnixSeconds(absl::Now());
  EXPECT_EQ(usage.quota().max_profiles(), 10);
  EXPECT_EQ(usage.quota().max_documents(), 20);
  EXPECT_EQ(usage.quota().max_document_bytes(), 30);
  EXPECT_GE(usage.read_time().seconds(), before);
  EXPECT_LE(usage.read_time().seconds(), after);
}

TEST_F(UsageTest, SuspendedTenantHasUsage) {
  server_->CreateUserWithProfile("acme", "ann@example.com");
  tenantry::v1::UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_state(Tenant::SUSPENDED);
  Tenant tenant;
  ASSERT_TRUE(server_->tenants()
                  .UpdateTenant(TestServer::Context().get(), request, &tenant)
                  .ok());

  TenantUsage usage;
  const grpc::Status status = GetUsage("tenants/acme/usage", &usage);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(usage.profile_count(), 1);
}

TEST_F(UsageTest, UnknownTenantIsNotFound) {
  TenantUsage usage;

  const grpc::Status status = GetUsage("tenants/nobody/usage", &usage);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_FALSE(std::filesystem::exists(
      absl::StrCat(server_->data_dir(), "/tenants/nobody.db")));
}

TEST_F(UsageTest, DeletedTenantIsNotFound) {
  server_->CreateUserWithProfile("acme", "ann@example.com");
  tenantry::v1::DeleteTenantRequest request;
  request.set_name("tenants/acme");
  Tenant deleted;
  ASSERT_TRUE(server_->tenants()
                  .DeleteTenant(TestServer::Context().get(), request, &deleted)
                  .ok());
  TenantUsage usage;

  const grpc::Status status = GetUsage("tenants/acme/usage", &usage);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(UsageTest, MalformedNamesAreInvalid) {
  for (const std::string name :
       {"", "tenants/acme", "tenants/acme/usage/x", "tenants//usage",
        "tenants/ACME/usage", "users/acme/usage", "tenants/acme/usages",
        "tenants/../usage", "/tenants/acme/usage"}) {
    SCOPED_TRACE(name);
    TenantUsage usage;

    const grpc::Status status = GetUsage(name, &usage);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"name"});
  }
}

TEST_F(UsageTest, CountsCallsOfTheLastHour) {
  const Profile ann = server_->CreateUserWithProfile("acme", "ann@example.com");
  tenantry::v1::GetProfileRequest get;
  get.set_name(ann.name());
  for (int i = 0; i < 3; ++i) {
    Profile profile;
    ASSERT_TRUE(
        server_->profiles()
            .GetProfile(TestServer::TenantContext("acme").get(), get, &profile)
            .ok());
  }
  get.set_name("tenants/acme/profiles/00000000000000000000000000");
  Profile missing;
  ASSERT_EQ(
      server_->profiles()
          .GetProfile(TestServer::TenantContext("acme").get(), get, &missing)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);

  // The server records a call when gRPC releases it, which can be just
  // after the client has its response, so wait for the last one.
  TenantUsage usage = Usage();
  for (int attempt = 0; attempt < 100 && usage.calls_last_hour() < 5;
       ++attempt) {
    absl::SleepFor(absl::Milliseconds(50));
    usage = Usage();
  }

  // CreateProfile, three GetProfile calls and the failed one. The calls to
  // TenantService and UserService belong to no tenant.
  EXPECT_EQ(usage.calls_last_hour(), 5);
  EXPECT_EQ(usage.errors_last_hour(), 1);
}

TEST(UsageAuthTest, OnlyTheAdminKeyMayCall) {
  services::ServerOptions options;
  options.admin_key = kAdminKey;
  auto server = TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string admin = absl::StrCat("Bearer ", kAdminKey);
  {
    auto context = TestServer::Context();
    context->AddMetadata("authorization", admin);
    tenantry::v1::CreateTenantRequest request;
    request.set_tenant_id("acme");
    request.mutable_tenant()->set_display_name("Acme");
    Tenant tenant;
    ASSERT_TRUE((*server)
                    ->tenants()
                    .CreateTenant(context.get(), request, &tenant)
                    .ok());
  }
  std::string tenant_key;
  {
    auto context = TestServer::Context();
    context->AddMetadata("authorization", admin);
    tenantry::v1::CreateApiKeyRequest request;
    request.set_parent("tenants/acme");
    request.mutable_api_key()->set_display_name("reporting");
    tenantry::v1::ApiKey key;
    ASSERT_TRUE(
        (*server)->tenants().CreateApiKey(context.get(), request, &key).ok());
    tenant_key = key.key();
  }
  GetTenantUsageRequest request;
  request.set_name("tenants/acme/usage");
  TenantUsage usage;

  auto no_key = TestServer::Context();
  EXPECT_EQ((*server)
                ->tenants()
                .GetTenantUsage(no_key.get(), request, &usage)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto with_tenant_key = TestServer::TenantContext("acme");
  with_tenant_key->AddMetadata("authorization",
                               absl::StrCat("Bearer ", tenant_key));
  EXPECT_EQ((*server)
                ->tenants()
                .GetTenantUsage(with_tenant_key.get(), request, &usage)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto with_admin_key = TestServer::Context();
  with_admin_key->AddMetadata("authorization", admin);
  EXPECT_TRUE((*server)
                  ->tenants()
                  .GetTenantUsage(with_admin_key.get(), request, &usage)
                  .ok());
}

}  // namespace
}  // namespace tenantry::tests
