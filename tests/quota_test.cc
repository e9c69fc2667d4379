// Tenant quotas through a real server: UpdateTenant and CreateTenant set,
// clear and validate them on both shared stores, and CreateProfile stops
// at max_profiles with RESOURCE_EXHAUSTED and a google.rpc.QuotaFailure
// detail, also under concurrent creates, without writing anything.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "storage/sqlite.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateProfileRequest;
using tenantry::v1::CreateTenantRequest;
using tenantry::v1::GetTenantRequest;
using tenantry::v1::Profile;
using tenantry::v1::Tenant;
using tenantry::v1::UpdateTenantRequest;

constexpr char kQuotaFailureTypeUrl[] =
    "type.googleapis.com/google.rpc.QuotaFailure";
constexpr char kBadRequestTypeUrl[] =
    "type.googleapis.com/google.rpc.BadRequest";

// Returns the detail of type `Detail` at `type_url` in the status's
// grpc-status-details-bin trailer, or nullopt.
template <typename Detail>
std::optional<Detail> DetailOf(const grpc::Status& status,
                               absl::string_view type_url) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return std::nullopt;
  for (const google::protobuf::Any& any : details.details()) {
    if (any.type_url() != type_url) continue;
    Detail detail;
    if (detail.ParseFromString(any.value())) return detail;
  }
  return std::nullopt;
}

// Returns the field paths of the status's google.rpc.BadRequest.
std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> fields;
  const auto bad_request =
      DetailOf<google::rpc::BadRequest>(status, kBadRequestTypeUrl);
  if (!bad_request.has_value()) return fields;
  for (const auto& violation : bad_request->field_violations()) {
    fields.push_back(violation.field());
  }
  return fields;
}

// Counts the rows of `table` in the SQLite file at `path`, read through a
// connection of its own while the server runs.
int64_t CountRows(const std::string& path, absl::string_view table) {
  storage::SqliteConnection::Options options;
  options.query_only = true;
  auto connection = storage::SqliteConnection::Open(path, options);
  EXPECT_TRUE(connection.ok()) << connection.status();
  if (!connection.ok()) return -1;
  auto statement =
      (*connection)->Prepare(absl::StrCat("SELECT count(*) FROM ", table));
  EXPECT_TRUE(statement.ok()) << statement.status();
  if (!statement.ok()) return -1;
  storage::StatementLease query(*statement);
  auto row = query->Step();
  EXPECT_TRUE(row.ok()) << row.status();
  if (!row.ok() || !*row) return -1;
  return query->ColumnInt(0);
}

// Quota fields of Tenant through UpdateTenant and CreateTenant, on both
// shared stores, which keep them in their own columns.
class QuotaFieldsTest : public ::testing::TestWithParam<SharedStoreBackend> {
 protected:
  void SetUp() override {
    auto server = TestServer::Start({}, GetParam());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    tenant_ = server_->CreateTenant("acme");
  }

  grpc::Status UpdateTenant(const UpdateTenantRequest& request,
                            Tenant* response) {
    return server_->tenants().UpdateTenant(TestServer::Context().get(), request,
                                           response);
  }

  Tenant GetTenant() {
    GetTenantRequest request;
    request.set_name("tenants/acme");
    Tenant tenant;
    const grpc::Status status = server_->tenants().GetTenant(
        TestServer::Context().get(), request, &tenant);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return tenant;
  }

  // Sets all three limits with the mask `quota`.
  void SetAllLimits(int64_t profiles, int64_t documents, int64_t bytes) {
    UpdateTenantRequest request;
    request.mutable_tenant()->set_name("tenants/acme");
    request.mutable_tenant()->mutable_quota()->set_max_profiles(profiles);
    request.mutable_tenant()->mutable_quota()->set_max_documents(documents);
    request.mutable_tenant()->mutable_quota()->set_max_document_bytes(bytes);
    request.mutable_update_mask()->add_paths("quota");
    Tenant response;
    const grpc::Status status = UpdateTenant(request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::unique_ptr<TestServer> server_;
  Tenant tenant_;
};

TEST_P(QuotaFieldsTest, NewTenantHasNoQuota) {
  EXPECT_FALSE(tenant_.has_quota());
  EXPECT_FALSE(GetTenant().has_quota());
}

TEST_P(QuotaFieldsTest, MaskPathSetsOneLimit) {
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->mutable_quota()->set_max_profiles(25);
  request.mutable_tenant()->mutable_quota()->set_max_documents(99);
  request.mutable_update_mask()->add_paths("quota.max_profiles");
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.quota().max_profiles(), 25);
  EXPECT_EQ(response.quota().max_documents(), 0);
  const Tenant stored = GetTenant();
  EXPECT_EQ(stored.quota().max_profiles(), 25);
  EXPECT_EQ(stored.quota().max_documents(), 0);
  EXPECT_EQ(stored.quota().max_document_bytes(), 0);
  EXPECT_NE(stored.etag(), tenant_.etag());
}

TEST_P(QuotaFieldsTest, CamelCaseMaskPath) {
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->mutable_quota()->set_max_document_bytes(4096);
  request.mutable_update_mask()->add_paths("quota.maxDocumentBytes");
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(GetTenant().quota().max_document_bytes(), 4096);
}

TEST_P(QuotaFieldsTest, NestedPathKeepsOtherLimits) {
  SetAllLimits(10, 20, 30);
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->mutable_quota()->set_max_documents(7);
  request.mutable_update_mask()->add_paths("quota.max_documents");
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  const Tenant stored = GetTenant();
  EXPECT_EQ(stored.quota().max_profiles(), 10);
  EXPECT_EQ(stored.quota().max_documents(), 7);
  EXPECT_EQ(stored.quota().max_document_bytes(), 30);
}

TEST_P(QuotaFieldsTest, QuotaPathWithoutValuesClearsLimits) {
  SetAllLimits(10, 20, 30);
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_update_mask()->add_paths("quota");
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.has_quota());
  EXPECT_FALSE(GetTenant().has_quota());
}

TEST_P(QuotaFieldsTest, SetQuotaWithoutMaskReplacesAllLimits) {
  SetAllLimits(10, 20, 30);
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->mutable_quota()->set_max_profiles(5);
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  const Tenant stored = GetTenant();
  EXPECT_EQ(stored.quota().max_profiles(), 5);
  EXPECT_EQ(stored.quota().max_documents(), 0);
  EXPECT_EQ(stored.quota().max_document_bytes(), 0);
  EXPECT_EQ(stored.display_name(), "acme");
}

TEST_P(QuotaFieldsTest, UpdateWithoutQuotaKeepsLimits) {
  SetAllLimits(10, 20, 30);
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_display_name("Acme Corp");
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(GetTenant().quota().max_profiles(), 10);
  EXPECT_EQ(GetTenant().quota().max_documents(), 20);
  EXPECT_EQ(GetTenant().quota().max_document_bytes(), 30);
}

TEST_P(QuotaFieldsTest, StarMaskCoversQuota) {
  SetAllLimits(10, 20, 30);
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_display_name("acme");
  request.mutable_tenant()->set_state(Tenant::ACTIVE);
  request.mutable_update_mask()->add_paths("*");
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(GetTenant().has_quota());
}

TEST_P(QuotaFieldsTest, NegativeLimitsAreInvalid) {
  for (const std::string field :
       {"max_profiles", "max_documents", "max_document_bytes"}) {
    SCOPED_TRACE(field);
    UpdateTenantRequest request;
    request.mutable_tenant()->set_name("tenants/acme");
    tenantry::v1::TenantQuota* quota =
        request.mutable_tenant()->mutable_quota();
    quota->GetReflection()->SetInt64(
        quota, quota->GetDescriptor()->FindFieldByName(field), -1);
    request.mutable_update_mask()->add_paths("quota." + field);
    Tenant response;

    const grpc::Status status = UpdateTenant(request, &response);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(),
              absl::StrCat("tenant.quota.", field,
                           ": is -1 but must be 0 or more; 0 means no limit"));
    EXPECT_EQ(ViolatedFields(status),
              std::vector<std::string>{"tenant.quota." + field});
  }
  const Tenant stored = GetTenant();
  EXPECT_EQ(stored.etag(), tenant_.etag());
  EXPECT_FALSE(stored.has_quota());
}

TEST_P(QuotaFieldsTest, NegativeLimitsWithoutMaskNameEachField) {
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->mutable_quota()->set_max_profiles(-5);
  request.mutable_tenant()->mutable_quota()->set_max_document_bytes(-1);
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            (std::vector<std::string>{"tenant.quota.max_profiles",
                                      "tenant.quota.max_document_bytes"}));
  EXPECT_EQ(GetTenant().etag(), tenant_.etag());
}

TEST_P(QuotaFieldsTest, NegativeLimitOutsideMaskIsIgnored) {
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_display_name("Renamed");
  request.mutable_tenant()->mutable_quota()->set_max_profiles(-5);
  request.mutable_update_mask()->add_paths("display_name");
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(GetTenant().display_name(), "Renamed");
  EXPECT_FALSE(GetTenant().has_quota());
}

TEST_P(QuotaFieldsTest, UnknownQuotaPathIsInvalid) {
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_update_mask()->add_paths("quota.max_posts");
  Tenant response;

  const grpc::Status status = UpdateTenant(request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"update_mask"});
}

TEST_P(QuotaFieldsTest, CreateTenantTakesQuota) {
  CreateTenantRequest request;
  request.set_tenant_id("limited");
  request.mutable_tenant()->set_display_name("Limited");
  request.mutable_tenant()->mutable_quota()->set_max_profiles(3);
  request.mutable_tenant()->mutable_quota()->set_max_document_bytes(1000);
  Tenant response;

  const grpc::Status status = server_->tenants().CreateTenant(
      TestServer::Context().get(), request, &response);

  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.quota().max_profiles(), 3);
  EXPECT_EQ(response.quota().max_documents(), 0);
  EXPECT_EQ(response.quota().max_document_bytes(), 1000);
}

TEST_P(QuotaFieldsTest, CreateTenantRejectsNegativeQuota) {
  CreateTenantRequest request;
  request.set_tenant_id("limited");
  request.mutable_tenant()->set_display_name("Limited");
  request.mutable_tenant()->mutable_quota()->set_max_documents(-3);
  Tenant response;

  const grpc::Status status = server_->tenants().CreateTenant(
      TestServer::Context().get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status),
            std::vector<std::string>{"tenant.quota.max_documents"});
  GetTenantRequest get;
  get.set_name("tenants/limited");
  Tenant missing;
  EXPECT_EQ(server_->tenants()
                .GetTenant(TestServer::Context().get(), get, &missing)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

INSTANTIATE_TEST_SUITE_P(Backends, QuotaFieldsTest,
                         ::testing::Values(SharedStoreBackend::kSqlite,
                                           SharedStoreBackend::kPostgres),
                         SharedStoreBackendName);

// CreateProfile against max_profiles.
class ProfileQuotaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant("acme");
  }

  void SetMaxProfiles(int64_t limit) {
    UpdateTenantRequest request;
    request.mutable_tenant()->set_name("tenants/acme");
    request.mutable_tenant()->mutable_quota()->set_max_profiles(limit);
    request.mutable_update_mask()->add_paths("quota.max_profiles");
    Tenant response;
    const grpc::Status status = server_->tenants().UpdateTenant(
        TestServer::Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Creates a profile for a new user with `email`.
  grpc::Status CreateProfile(absl::string_view email, Profile* created) {
    CreateProfileRequest request;
    request.set_parent("tenants/acme");
    request.mutable_profile()->set_user(server_->CreateUser(email).name());
    request.mutable_profile()->set_full_name("Quota Test");
    return server_->profiles().CreateProfile(
        TestServer::TenantContext("acme").get(), request, created);
  }

  std::string DatabasePath() const {
    return absl::StrCat(server_->data_dir(), "/tenants/acme.db");
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(ProfileQuotaTest, CreateUpToLimitSucceeds) {
  SetMaxProfiles(2);
  Profile created;

  EXPECT_TRUE(CreateProfile("a@example.com", &created).ok());
  EXPECT_TRUE(CreateProfile("b@example.com", &created).ok());

  EXPECT_EQ(CountRows(DatabasePath(), "profiles"), 2);
}

TEST_F(ProfileQuotaTest, CreatePastLimitIsResourceExhausted) {
  SetMaxProfiles(2);
  Profile created;
  ASSERT_TRUE(CreateProfile("a@example.com", &created).ok());
  ASSERT_TRUE(CreateProfile("b@example.com", &created).ok());

  const grpc::Status status = CreateProfile("c@example.com", &created);

  const std::string expected =
      "tenant acme has 2 of at most 2 profiles; raise "
      "tenant.quota.max_profiles with UpdateTenant or delete profiles";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), expected);
  const auto failure =
      DetailOf<google::rpc::QuotaFailure>(status, kQuotaFailureTypeUrl);
  ASSERT_TRUE(failure.has_value()) << "no google.rpc.QuotaFailure detail";
  ASSERT_EQ(failure->violations_size(), 1);
  EXPECT_EQ(failure->violations(0).subject(), "tenants/acme");
  EXPECT_EQ(failure->violations(0).description(), expected);
}

TEST_F(ProfileQuotaTest, RejectedCreateWritesNothing) {
  SetMaxProfiles(1);
  Profile created;
  ASSERT_TRUE(CreateProfile("a@example.com", &created).ok());
  const tenantry::v1::User user = server_->CreateUser("b@example.com");
  CreateProfileRequest request;
  request.set_parent("tenants/acme");
  request.mutable_profile()->set_user(user.name());
  request.mutable_profile()->set_slug("b-slug");

  const grpc::Status status = server_->profiles().CreateProfile(
      TestServer::TenantContext("acme").get(), request, &created);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(CountRows(DatabasePath(), "profiles"), 1);
  tenantry::v1::LookupProfileByUserRequest lookup;
  lookup.set_parent("tenants/acme");
  lookup.set_user(user.name());
  tenantry::v1::LookupProfileByUserResponse found;
  ASSERT_TRUE(server_->profiles()
                  .LookupProfileByUser(TestServer::TenantContext("acme").get(),
                                       lookup, &found)
                  .ok());
  EXPECT_FALSE(found.has_profile());
  // The slug was not taken either: the user gets the profile once the
  // limit allows it.
  SetMaxProfiles(2);
  EXPECT_TRUE(server_->profiles()
                  .CreateProfile(TestServer::TenantContext("acme").get(),
                                 request, &created)
                  .ok());
}

TEST_F(ProfileQuotaTest, ConcurrentCreatesStopExactlyAtLimit) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 5;
  constexpr int kLimit = 25;
  SetMaxProfiles(kLimit);
  // Users first, so that the threads race only on CreateProfile.
  std::vector<std::string> users;
  for (int i = 0; i < kThreads * kCallsPerThread; ++i) {
    users.push_back(
        server_->CreateUser(absl::StrCat("user", i, "@example.com")).name());
  }
  std::atomic<int> ok{0};
  std::atomic<int> exhausted{0};
  std::atomic<int> with_detail{0};
  absl::Mutex mutex;
  std::vector<std::string> other_errors;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        CreateProfileRequest request;
        request.set_parent("tenants/acme");
        request.mutable_profile()->set_user(users[t * kCallsPerThread + i]);
        Profile created;
        const grpc::Status status = server_->profiles().CreateProfile(
            TestServer::TenantContext("acme").get(), request, &created);
        if (status.ok()) {
          ++ok;
        } else if (status.error_code() ==
                   grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++exhausted;
          const auto failure =
              DetailOf<google::rpc::QuotaFailure>(status, kQuotaFailureTypeUrl);
          if (failure.has_value() && failure->violations_size() == 1 &&
              failure->violations(0).subject() == "tenants/acme") {
            ++with_detail;
          }
        } else {
          absl::MutexLock lock(&mutex);
          other_errors.push_back(status.error_message());
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_TRUE(other_errors.empty()) << other_errors.front();
  EXPECT_EQ(ok.load(), kLimit);
  EXPECT_EQ(exhausted.load(), kThreads * kCallsPerThread - kLimit);
  EXPECT_EQ(with_detail.load(), exhausted.load());
  EXPECT_EQ(CountRows(DatabasePath(), "profiles"), kLimit);
}

TEST_F(ProfileQuotaTest, RaisedLimitAppliesAtOnce) {
  SetMaxProfiles(1);
  Profile created;
  ASSERT_TRUE(CreateProfile("a@example.com", &created).ok());
  ASSERT_EQ(CreateProfile("b@example.com", &created).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  SetMaxProfiles(2);

  EXPECT_TRUE(CreateProfile("c@example.com", &created).ok());
  EXPECT_EQ(CountRows(DatabasePath(), "profiles"), 2);
}

TEST_F(ProfileQuotaTest, LimitBelowUseKeepsProfilesAndRejectsCreates) {
  Profile created;
  ASSERT_TRUE(CreateProfile("a@example.com", &created).ok());
  ASSERT_TRUE(CreateProfile("b@example.com", &created).ok());
  ASSERT_TRUE(CreateProfile("c@example.com", &created).ok());

  SetMaxProfiles(1);
  const grpc::Status status = CreateProfile("d@example.com", &created);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(),
            "tenant acme has 3 of at most 1 profiles; raise "
            "tenant.quota.max_profiles with UpdateTenant or delete profiles");
  EXPECT_EQ(CountRows(DatabasePath(), "profiles"), 3);
}

TEST_F(ProfileQuotaTest, ZeroLimitRemovesLimit) {
  SetMaxProfiles(1);
  Profile created;
  ASSERT_TRUE(CreateProfile("a@example.com", &created).ok());

  SetMaxProfiles(0);

  EXPECT_TRUE(CreateProfile("b@example.com", &created).ok());
  EXPECT_TRUE(CreateProfile("c@example.com", &created).ok());
}

TEST_F(ProfileQuotaTest, DeletedProfileFreesRoom) {
  SetMaxProfiles(1);
  Profile first;
  ASSERT_TRUE(CreateProfile("a@example.com", &first).ok());
  tenantry::v1::DeleteProfileRequest request;
  request.set_name(first.name());
  google::protobuf::Empty empty;
  ASSERT_TRUE(server_->profiles()
                  .DeleteProfile(TestServer::TenantContext("acme").get(),
                                 request, &empty)
                  .ok());

  Profile second;
  EXPECT_TRUE(CreateProfile("b@example.com", &second).ok());
}

TEST_F(ProfileQuotaTest, PostsHaveNoQuota) {
  SetMaxProfiles(1);
  Profile profile;
  ASSERT_TRUE(CreateProfile("a@example.com", &profile).ok());

  for (int i = 0; i < 3; ++i) {
    tenantry::v1::CreatePostRequest request;
    request.set_parent(profile.name());
    request.mutable_post()->set_content(absl::StrCat("post ", i));
    tenantry::v1::Post post;
    const grpc::Status status = server_->profiles().CreatePost(
        TestServer::TenantContext("acme").get(), request, &post);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(CountRows(DatabasePath(), "posts"), 3);
}

TEST_F(ProfileQuotaTest, OtherTenantsKeepTheirOwnLimit) {
  SetMaxProfiles(1);
  server_->CreateTenant("other");
  Profile created;
  ASSERT_TRUE(CreateProfile("a@example.com", &created).ok());

  for (int i = 0; i < 3; ++i) {
    CreateProfileRequest request;
    request.set_parent("tenants/other");
    request.mutable_profile()->set_user(
        server_->CreateUser(absl::StrCat("o", i, "@example.com")).name());
    const grpc::Status status = server_->profiles().CreateProfile(
        TestServer::TenantContext("other").get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
}

}  // namespace
}  // namespace tenantry::tests
