#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/migrations.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CheckTenantDatabaseRequest;
using tenantry::v1::CheckTenantDatabaseResponse;
using tenantry::v1::CreateTenantRequest;
using tenantry::v1::DeleteTenantRequest;
using tenantry::v1::GetTenantRequest;
using tenantry::v1::ListProfilesRequest;
using tenantry::v1::ListProfilesResponse;
using tenantry::v1::ListTenantsRequest;
using tenantry::v1::ListTenantsResponse;
using tenantry::v1::Tenant;
using tenantry::v1::UpdateTenantRequest;

// Runs against both shared-store backends.
class TenantServiceTest : public ::testing::TestWithParam<SharedStoreBackend> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start({}, GetParam());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string DatabasePath(absl::string_view tenant_id) const {
    return absl::StrCat(server_->data_dir(), "/tenants/", tenant_id, ".db");
  }

  grpc::Status CreateTenant(const CreateTenantRequest& request,
                            Tenant* tenant) {
    return server_->tenants().CreateTenant(TestServer::Context().get(), request,
                                           tenant);
  }

  grpc::Status GetTenant(absl::string_view name, Tenant* tenant) {
    GetTenantRequest request;
    request.set_name(std::string(name));
    return server_->tenants().GetTenant(TestServer::Context().get(), request,
                                        tenant);
  }

  grpc::Status UpdateTenant(const UpdateTenantRequest& request,
                            Tenant* tenant) {
    return server_->tenants().UpdateTenant(TestServer::Context().get(), request,
                                           tenant);
  }

  // Soft-deletes the tenant, or with `force` removes it and its files.
  grpc::Status DeleteTenant(absl::string_view name, absl::string_view etag,
                            bool force = false) {
    DeleteTenantRequest request;
    request.set_name(std::string(name));
    request.set_etag(std::string(etag));
    request.set_force(force);
    Tenant response;
    return server_->tenants().DeleteTenant(TestServer::Context().get(), request,
                                           &response);
  }

  grpc::Status CheckTenantDatabase(absl::string_view name,
                                   CheckTenantDatabaseResponse* response) {
    CheckTenantDatabaseRequest request;
    request.set_name(std::string(name));
    return server_->tenants().CheckTenantDatabase(TestServer::Context().get(),
                                                  request, response);
  }

  // Lists the tenant's profiles through the tenant-scoped ProfileService.
  grpc::Status ListProfiles(absl::string_view tenant_id,
                            ListProfilesResponse* response) {
    ListProfilesRequest request;
    request.set_parent(TenantName(tenant_id));
    return server_->profiles().ListProfiles(
        TestServer::TenantContext(tenant_id).get(), request, response);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_P(TenantServiceTest, CreateTenantReturnsActiveTenant) {
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_display_name("Acme Corp");
  Tenant tenant;

  const grpc::Status status = CreateTenant(request, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.name(), "tenants/acme");
  EXPECT_EQ(tenant.display_name(), "Acme Corp");
  EXPECT_EQ(tenant.state(), Tenant::ACTIVE);
  EXPECT_FALSE(tenant.etag().empty());
  EXPECT_GT(tenant.create_time().seconds(), 0);
  EXPECT_GT(tenant.update_time().seconds(), 0);
}

TEST_P(TenantServiceTest, CreateTenantIgnoresNameInRequest) {
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_name("tenants/other");
  request.mutable_tenant()->set_display_name("Acme");
  Tenant tenant;

  const grpc::Status status = CreateTenant(request, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.name(), "tenants/acme");
}

TEST_P(TenantServiceTest, CreateTenantKeepsSuspendedState) {
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_display_name("Acme");
  request.mutable_tenant()->set_state(Tenant::SUSPENDED);
  Tenant tenant;

  const grpc::Status status = CreateTenant(request, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.state(), Tenant::SUSPENDED);
}

TEST_P(TenantServiceTest, CreateTenantCreatesDatabaseFile) {
  server_->CreateTenant("acme");

  EXPECT_TRUE(std::filesystem::is_regular_file(DatabasePath("acme")));
}

TEST_P(TenantServiceTest, CreateTenantWithMalformedIdReturnsInvalidArgument) {
  const std::string malformed_ids[] = {
      "",
      "Acme",
      "1acme",
      "-acme",
      "ac me",
      "acme!",
      "ac/me",
      "..",
      "a.b",
      "../evil",
      std::string(64, 'a'),
  };
  for (const std::string& tenant_id : malformed_ids) {
    SCOPED_TRACE(absl::StrCat("tenant_id \"", tenant_id, "\""));
    CreateTenantRequest request;
    request.set_tenant_id(tenant_id);
    request.mutable_tenant()->set_display_name("Some Tenant");
    Tenant tenant;

    const grpc::Status status = CreateTenant(request, &tenant);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
  EXPECT_FALSE(std::filesystem::exists(server_->data_dir() + "/tenants"));
}

TEST_P(TenantServiceTest, CreateTenantAcceptsLongestId) {
  const std::string tenant_id = "a" + std::string(61, 'b') + "9";
  CreateTenantRequest request;
  request.set_tenant_id(tenant_id);
  request.mutable_tenant()->set_display_name("Longest");
  Tenant tenant;

  const grpc::Status status = CreateTenant(request, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.name(), TenantName(tenant_id));
}

TEST_P(TenantServiceTest,
       CreateTenantWithoutDisplayNameReturnsInvalidArgument) {
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  Tenant tenant;

  const grpc::Status status = CreateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme")));
}

TEST_P(TenantServiceTest,
       CreateTenantWithLongDisplayNameReturnsInvalidArgument) {
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_display_name(std::string(201, 'x'));
  Tenant tenant;

  const grpc::Status status = CreateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(TenantServiceTest, CreateTenantWithUnknownStateReturnsInvalidArgument) {
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_display_name("Acme");
  request.mutable_tenant()->set_state(static_cast<Tenant::State>(7));
  Tenant tenant;

  const grpc::Status status = CreateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(TenantServiceTest, CreateDuplicateTenantReturnsAlreadyExists) {
  server_->CreateTenant("acme");
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_display_name("Second Acme");
  Tenant tenant;

  const grpc::Status status = CreateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << status.error_message();
}

TEST_P(TenantServiceTest, CreateDuplicateTenantKeepsExistingData) {
  server_->CreateTenant("acme");
  const tenantry::v1::Profile profile =
      server_->CreateUserWithProfile("acme", "ada@example.com");
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_display_name("Second Acme");
  Tenant tenant;
  ASSERT_EQ(CreateTenant(request, &tenant).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  ListProfilesResponse profiles;
  const grpc::Status status = ListProfiles("acme", &profiles);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(profiles.profiles_size(), 1);
  EXPECT_EQ(profiles.profiles(0).name(), profile.name());
  Tenant stored;
  ASSERT_EQ(GetTenant("tenants/acme", &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.display_name(), "acme");
}

TEST_P(TenantServiceTest, GetTenantReturnsCreatedTenant) {
  const Tenant created = server_->CreateTenant("acme");
  Tenant tenant;

  const grpc::Status status = GetTenant("tenants/acme", &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.name(), created.name());
  EXPECT_EQ(tenant.display_name(), created.display_name());
  EXPECT_EQ(tenant.state(), Tenant::ACTIVE);
  EXPECT_EQ(tenant.etag(), created.etag());
}

TEST_P(TenantServiceTest, GetMissingTenantReturnsNotFound) {
  Tenant tenant;

  const grpc::Status status = GetTenant("tenants/ghost", &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_P(TenantServiceTest, GetTenantWithMalformedNameReturnsInvalidArgument) {
  server_->CreateTenant("acme");
  const std::string malformed_names[] = {
      "",
      "acme",
      "tenants/",
      "tenants/Acme",
      "tenants/acme/",
      "tenants/acme/profiles",
      "projects/acme",
      "tenants/../acme",
      "/tenants/acme",
  };
  for (const std::string& name : malformed_names) {
    SCOPED_TRACE(absl::StrCat("name \"", name, "\""));
    Tenant tenant;

    const grpc::Status status = GetTenant(name, &tenant);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_P(TenantServiceTest, ListTenantsReturnsTenantsInIdOrder) {
  server_->CreateTenant("charlie");
  server_->CreateTenant("alpha");
  server_->CreateTenant("bravo");
  ListTenantsRequest request;
  ListTenantsResponse response;

  const grpc::Status status = server_->tenants().ListTenants(
      TestServer::Context().get(), request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.tenants_size(), 3);
  EXPECT_EQ(response.tenants(0).name(), "tenants/alpha");
  EXPECT_EQ(response.tenants(1).name(), "tenants/bravo");
  EXPECT_EQ(response.tenants(2).name(), "tenants/charlie");
  EXPECT_EQ(response.next_page_token(), "");
}

TEST_P(TenantServiceTest, ListTenantsWithoutTenantsReturnsEmptyPage) {
  ListTenantsRequest request;
  ListTenantsResponse response;

  const grpc::Status status = server_->tenants().ListTenants(
      TestServer::Context().get(), request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(response.tenants_size(), 0);
  EXPECT_EQ(response.next_page_token(), "");
}

TEST_P(TenantServiceTest, UpdateTenantWithMaskChangesDisplayName) {
  const Tenant created = server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_display_name("Acme Renamed");
  request.mutable_update_mask()->add_paths("display_name");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.display_name(), "Acme Renamed");
  EXPECT_EQ(tenant.state(), Tenant::ACTIVE);
  EXPECT_NE(tenant.etag(), created.etag());
  Tenant stored;
  ASSERT_EQ(GetTenant("tenants/acme", &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.display_name(), "Acme Renamed");
}

TEST_P(TenantServiceTest, UpdateTenantWithNothingSetKeepsEtag) {
  const Tenant created = server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.etag(), created.etag());
  EXPECT_EQ(tenant.display_name(), created.display_name());
}

TEST_P(TenantServiceTest, UpdateTenantWithoutMaskKeepsUnsetFields) {
  server_->CreateTenant("acme");
  UpdateTenantRequest suspend;
  suspend.mutable_tenant()->set_name("tenants/acme");
  suspend.mutable_tenant()->set_state(Tenant::SUSPENDED);
  Tenant suspended;
  ASSERT_EQ(UpdateTenant(suspend, &suspended).error_code(),
            grpc::StatusCode::OK);
  UpdateTenantRequest rename;
  rename.mutable_tenant()->set_name("tenants/acme");
  rename.mutable_tenant()->set_display_name("Acme Renamed");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(rename, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.display_name(), "Acme Renamed");
  EXPECT_EQ(tenant.state(), Tenant::SUSPENDED);
}

TEST_P(TenantServiceTest, UpdateTenantWithMaskIgnoresFieldsOutsideMask) {
  server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_display_name("Acme Renamed");
  request.mutable_tenant()->set_state(Tenant::SUSPENDED);
  request.mutable_update_mask()->add_paths("displayName");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.display_name(), "Acme Renamed");
  EXPECT_EQ(tenant.state(), Tenant::ACTIVE);
}

TEST_P(TenantServiceTest, UpdateTenantWithCurrentEtagSucceeds) {
  const Tenant created = server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_display_name("Acme Renamed");
  request.mutable_tenant()->set_etag(created.etag());
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
}

TEST_P(TenantServiceTest, UpdateTenantWithStaleEtagReturnsAborted) {
  const Tenant created = server_->CreateTenant("acme");
  UpdateTenantRequest first;
  first.mutable_tenant()->set_name("tenants/acme");
  first.mutable_tenant()->set_display_name("First");
  first.mutable_tenant()->set_etag(created.etag());
  Tenant updated;
  ASSERT_EQ(UpdateTenant(first, &updated).error_code(), grpc::StatusCode::OK);
  UpdateTenantRequest second = first;
  second.mutable_tenant()->set_display_name("Second");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(second, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED)
      << status.error_message();
  Tenant stored;
  ASSERT_EQ(GetTenant("tenants/acme", &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.display_name(), "First");
}

TEST_P(TenantServiceTest, UpdateTenantWithMalformedEtagReturnsInvalidArgument) {
  server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_display_name("Acme Renamed");
  request.mutable_tenant()->set_etag("not-an-etag");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(TenantServiceTest,
       UpdateTenantWithUnknownMaskPathReturnsInvalidArgument) {
  server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_display_name("Acme Renamed");
  request.mutable_update_mask()->add_paths("display_name");
  request.mutable_update_mask()->add_paths("color");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  Tenant stored;
  ASSERT_EQ(GetTenant("tenants/acme", &stored).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(stored.display_name(), "acme");
}

TEST_P(TenantServiceTest, UpdateTenantWithUnknownStateReturnsInvalidArgument) {
  server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_tenant()->set_state(static_cast<Tenant::State>(9));
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(TenantServiceTest,
       UpdateTenantMaskedStateUnspecifiedReturnsInvalidArgument) {
  server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_update_mask()->add_paths("state");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(TenantServiceTest, UpdateTenantMaskedEmptyDisplayNameReturnsInvalid) {
  server_->CreateTenant("acme");
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/acme");
  request.mutable_update_mask()->add_paths("display_name");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(TenantServiceTest, UpdateMissingTenantReturnsNotFound) {
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("tenants/ghost");
  request.mutable_tenant()->set_display_name("Ghost");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_P(TenantServiceTest, UpdateTenantWithMalformedNameReturnsInvalidArgument) {
  UpdateTenantRequest request;
  request.mutable_tenant()->set_name("acme");
  request.mutable_tenant()->set_display_name("Acme");
  Tenant tenant;

  const grpc::Status status = UpdateTenant(request, &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_P(TenantServiceTest, ForceDeleteTenantRemovesDatabaseFiles) {
  server_->CreateTenant("acme");
  server_->CreateUserWithProfile("acme", "ada@example.com");
  ASSERT_TRUE(std::filesystem::exists(DatabasePath("acme")));

  const grpc::Status status = DeleteTenant("tenants/acme", "", /*force=*/true);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme")));
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme") + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme") + "-shm"));
}

TEST_P(TenantServiceTest, GetForceDeletedTenantReturnsNotFound) {
  server_->CreateTenant("acme");
  ASSERT_EQ(DeleteTenant("tenants/acme", "", /*force=*/true).error_code(),
            grpc::StatusCode::OK);
  Tenant tenant;

  const grpc::Status status = GetTenant("tenants/acme", &tenant);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_P(TenantServiceTest, ForceDeletedTenantRejectsTenantScopedCalls) {
  server_->CreateTenant("acme");
  ListProfilesResponse before;
  ASSERT_EQ(ListProfiles("acme", &before).error_code(), grpc::StatusCode::OK);
  ASSERT_EQ(DeleteTenant("tenants/acme", "", /*force=*/true).error_code(),
            grpc::StatusCode::OK);
  ListProfilesResponse after;

  const grpc::Status status = ListProfiles("acme", &after);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme")));
}

TEST_P(TenantServiceTest, DeleteTenantWithCurrentEtagSucceeds) {
  const Tenant created = server_->CreateTenant("acme");

  const grpc::Status status = DeleteTenant("tenants/acme", created.etag());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
}

TEST_P(TenantServiceTest, DeleteTenantWithStaleEtagReturnsAborted) {
  const Tenant created = server_->CreateTenant("acme");
  UpdateTenantRequest rename;
  rename.mutable_tenant()->set_name("tenants/acme");
  rename.mutable_tenant()->set_display_name("Acme Renamed");
  Tenant renamed;
  ASSERT_EQ(UpdateTenant(rename, &renamed).error_code(), grpc::StatusCode::OK);

  const grpc::Status status = DeleteTenant("tenants/acme", created.etag());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED)
      << status.error_message();
  EXPECT_TRUE(std::filesystem::exists(DatabasePath("acme")));
  Tenant stored;
  EXPECT_EQ(GetTenant("tenants/acme", &stored).error_code(),
            grpc::StatusCode::OK);
}

TEST_P(TenantServiceTest, DeleteMissingTenantReturnsNotFound) {
  const grpc::Status status = DeleteTenant("tenants/ghost", "");

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_P(TenantServiceTest, DeleteTenantWithMalformedNameReturnsInvalidArgument) {
  const grpc::Status status = DeleteTenant("tenants/../shared", "");

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  if (GetParam() == SharedStoreBackend::kSqlite) {
    EXPECT_TRUE(std::filesystem::exists(server_->data_dir() + "/shared.db"));
  }
}

TEST_P(TenantServiceTest, RecreatedTenantStartsWithEmptyDatabase) {
  server_->CreateTenant("acme");
  server_->CreateUserWithProfile("acme", "ada@example.com");
  ASSERT_EQ(DeleteTenant("tenants/acme", "", /*force=*/true).error_code(),
            grpc::StatusCode::OK);
  server_->CreateTenant("acme");
  ListProfilesResponse profiles;

  const grpc::Status status = ListProfiles("acme", &profiles);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(profiles.profiles_size(), 0);
}

TEST_P(TenantServiceTest, CheckTenantDatabaseReportsHealthyLatestSchema) {
  server_->CreateTenant("acme");
  CheckTenantDatabaseResponse response;

  const grpc::Status status = CheckTenantDatabase("tenants/acme", &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(response.quick_check(), "ok");
  // The server embeds every migrations/tenant/*.up.sql file through the
  // glob in migrations/BUILD.bazel, so this is the number of those files.
  const std::vector<storage::Migration>& migrations =
      storage::TenantMigrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(response.schema_version(), static_cast<int64_t>(migrations.size()));
  EXPECT_EQ(response.schema_version(), migrations.back().version);
}

TEST_P(TenantServiceTest, CheckTenantDatabaseOfMissingTenantReturnsNotFound) {
  CheckTenantDatabaseResponse response;

  const grpc::Status status = CheckTenantDatabase("tenants/ghost", &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("ghost")));
}

TEST_P(TenantServiceTest,
       CheckTenantDatabaseWithMalformedNameReturnsInvalidArgument) {
  CheckTenantDatabaseResponse response;

  const grpc::Status status = CheckTenantDatabase("tenants/Acme", &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

INSTANTIATE_TEST_SUITE_P(Backends, TenantServiceTest,
                         ::testing::Values(SharedStoreBackend::kSqlite,
                                           SharedStoreBackend::kPostgres),
                         SharedStoreBackendName);

}  // namespace
}  // namespace tenantry::tests
