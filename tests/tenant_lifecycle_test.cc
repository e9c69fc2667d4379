// Tests of a tenant's life cycle through a running server: soft delete,
// undelete, forced delete, the purge sweep, ListTenants with show_deleted,
// and request_id on CreateTenant and CreateUser. Each test starts a
// TenantryServer on 127.0.0.1 with SQLite tenant files in a new directory
// and runs against both shared-store backends.

#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/request_ids.h"
#include "storage/shared_store.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using google::protobuf::util::MessageDifferencer;
using tenantry::v1::ApiKey;
using tenantry::v1::CheckTenantDatabaseRequest;
using tenantry::v1::CheckTenantDatabaseResponse;
using tenantry::v1::CreateApiKeyRequest;
using tenantry::v1::CreatePostRequest;
using tenantry::v1::CreateTenantRequest;
using tenantry::v1::CreateUserRequest;
using tenantry::v1::DeleteTenantRequest;
using tenantry::v1::Document;
using tenantry::v1::DocumentView;
using tenantry::v1::GetTenantRequest;
using tenantry::v1::ListApiKeysRequest;
using tenantry::v1::ListApiKeysResponse;
using tenantry::v1::ListDocumentsRequest;
using tenantry::v1::ListDocumentsResponse;
using tenantry::v1::ListPostsRequest;
using tenantry::v1::ListPostsResponse;
using tenantry::v1::ListProfilesRequest;
using tenantry::v1::ListProfilesResponse;
using tenantry::v1::ListTenantsRequest;
using tenantry::v1::ListTenantsResponse;
using tenantry::v1::ListUsersRequest;
using tenantry::v1::ListUsersResponse;
using tenantry::v1::Post;
using tenantry::v1::Profile;
using tenantry::v1::Tenant;
using tenantry::v1::UndeleteTenantRequest;
using tenantry::v1::UpdateTenantRequest;
using tenantry::v1::User;

// The retention of the servers that do not test the purge sweep; long
// enough that nothing is purged during a test.
constexpr absl::Duration kRetention = absl::Hours(48);

// How long a test waits for the purge sweep at most.
constexpr absl::Duration kSweepWait = absl::Seconds(20);

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

absl::Time TimeOf(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

// The purge time as the server's messages print it.
std::string FormatPurgeTime(const Tenant& tenant) {
  return absl::FormatTime(absl::RFC3339_sec, TimeOf(tenant.purge_time()),
                          absl::UTCTimeZone());
}

// Every row of a tenant as the API returns it.
struct TenantData {
  ListProfilesResponse profiles;
  std::vector<ListPostsResponse> posts;
  ListDocumentsResponse documents;
};

class TenantLifecycleTest
    : public ::testing::TestWithParam<SharedStoreBackend> {
 protected:
  void SetUp() override {
    services::ServerOptions options;
    options.tenant_retention = kRetention;
    options.purge_interval = absl::ZeroDuration();
    StartServer(options);
  }

  void StartServer(const services::ServerOptions& options) {
    server_.reset();
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start(options, GetParam());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string DatabasePath(absl::string_view tenant_id) const {
    return absl::StrCat(server_->data_dir(), "/tenants/", tenant_id, ".db");
  }

  grpc::Status DeleteTenant(absl::string_view tenant_id, Tenant* deleted,
                            bool force = false, absl::string_view etag = "") {
    DeleteTenantRequest request;
    request.set_name(TenantName(tenant_id));
    request.set_force(force);
    request.set_etag(std::string(etag));
    return server_->tenants().DeleteTenant(TestServer::Context().get(), request,
                                           deleted);
  }

  grpc::Status UndeleteTenant(absl::string_view tenant_id, Tenant* restored,
                              absl::string_view etag = "") {
    UndeleteTenantRequest request;
    request.set_name(TenantName(tenant_id));
    request.set_etag(std::string(etag));
    return server_->tenants().UndeleteTenant(TestServer::Context().get(),
                                             request, restored);
  }

  grpc::Status GetTenant(absl::string_view tenant_id, Tenant* tenant) {
    GetTenantRequest request;
    request.set_name(TenantName(tenant_id));
    return server_->tenants().GetTenant(TestServer::Context().get(), request,
                                        tenant);
  }

  grpc::Status ListTenants(const ListTenantsRequest& request,
                           ListTenantsResponse* response) {
    return server_->tenants().ListTenants(TestServer::Context().get(), request,
                                          response);
  }

  grpc::Status ListProfiles(absl::string_view tenant_id,
                            ListProfilesResponse* response) {
    ListProfilesRequest request;
    request.set_parent(TenantName(tenant_id));
    request.set_page_size(1000);
    return server_->profiles().ListProfiles(
        TestServer::TenantContext(tenant_id).get(), request, response);
  }

  grpc::Status CreateTenant(const CreateTenantRequest& request,
                            Tenant* tenant) {
    return server_->tenants().CreateTenant(TestServer::Context().get(), request,
                                           tenant);
  }

  grpc::Status CreateUser(const CreateUserRequest& request, User* user) {
    return server_->users().CreateUser(TestServer::Context().get(), request,
                                       user);
  }

  // Creates a user, a profile with two posts, and two documents, one owned
  // by the profile.
  void FillTenant(absl::string_view tenant_id) {
    const Profile profile = server_->CreateUserWithProfile(
        tenant_id, absl::StrCat("ada@", tenant_id, ".example.com"));
    for (const char* content : {"first post", "second post"}) {
      CreatePostRequest request;
      request.set_parent(profile.name());
      request.mutable_post()->set_content(content);
      Post post;
      const grpc::Status status = server_->profiles().CreatePost(
          TestServer::TenantContext(tenant_id).get(), request, &post);
      ASSERT_TRUE(status.ok()) << Describe(status);
    }
    Document owned;
    owned.set_title("Owned");
    owned.set_content("owned content");
    owned.set_owner(profile.name());
    server_->CreateDocument(tenant_id, owned);
    Document loose;
    loose.set_title("Loose");
    loose.set_content(std::string("binary\0content", 14));
    server_->CreateDocument(tenant_id, loose);
  }

  // Reads every profile, post and document of the tenant, documents with
  // their content.
  void ReadTenantData(absl::string_view tenant_id, TenantData* data) {
    const grpc::Status profiles = ListProfiles(tenant_id, &data->profiles);
    ASSERT_TRUE(profiles.ok()) << Describe(profiles);
    for (const Profile& profile : data->profiles.profiles()) {
      ListPostsRequest request;
      request.set_parent(profile.name());
      request.set_page_size(1000);
      ListPostsResponse posts;
      const grpc::Status status = server_->profiles().ListPosts(
          TestServer::TenantContext(tenant_id).get(), request, &posts);
      ASSERT_TRUE(status.ok()) << Describe(status);
      data->posts.push_back(posts);
    }
    ListDocumentsRequest request;
    request.set_parent(TenantName(tenant_id));
    request.set_page_size(1000);
    request.set_view(DocumentView::FULL);
    const grpc::Status documents = server_->documents().ListDocuments(
        TestServer::TenantContext(tenant_id).get(), request, &data->documents);
    ASSERT_TRUE(documents.ok()) << Describe(documents);
  }

  // Sets the tenant's purge_time through a second connection to the
  // shared store, as if the retention had passed.
  void MovePurgeTime(absl::string_view tenant_id, absl::Time purge_time) {
    absl::StatusOr<std::unique_ptr<storage::SharedStore>> store =
        storage::OpenSharedStore(server_->shared_db_url());
    ASSERT_TRUE(store.ok()) << store.status();
    absl::StatusOr<storage::TenantRecord> updated =
        (*store)->UpdateTenant(tenant_id, [&](storage::TenantRecord& tenant) {
          tenant.purge_time = purge_time;
          return absl::OkStatus();
        });
    ASSERT_TRUE(updated.ok()) << updated.status();
  }

  // Polls GetTenant until it returns NOT_FOUND, for at most kSweepWait.
  bool WaitUntilPurged(absl::string_view tenant_id) {
    const absl::Time deadline = absl::Now() + kSweepWait;
    while (absl::Now() < deadline) {
      Tenant tenant;
      if (GetTenant(tenant_id, &tenant).error_code() ==
          grpc::StatusCode::NOT_FOUND) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  std::unique_ptr<TestServer> server_;
};

TEST_P(TenantLifecycleTest, SoftDeleteKeepsDataUntilUndelete) {
  server_->CreateTenant("acme");
  FillTenant("acme");
  TenantData before;
  ReadTenantData("acme", &before);
  ASSERT_EQ(before.profiles.profiles_size(), 1);
  ASSERT_EQ(before.posts.at(0).posts_size(), 2);
  ASSERT_EQ(before.documents.documents_size(), 2);

  Tenant deleted;
  const grpc::Status delete_status = DeleteTenant("acme", &deleted);
  ASSERT_TRUE(delete_status.ok()) << Describe(delete_status);
  EXPECT_TRUE(std::filesystem::exists(DatabasePath("acme")));
  ListProfilesResponse while_deleted;
  const grpc::Status rejected = ListProfiles("acme", &while_deleted);
  EXPECT_EQ(rejected.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(rejected);

  Tenant restored;
  const grpc::Status undelete_status = UndeleteTenant("acme", &restored);
  ASSERT_TRUE(undelete_status.ok()) << Describe(undelete_status);
  TenantData after;
  ReadTenantData("acme", &after);
  EXPECT_TRUE(MessageDifferencer::Equals(before.profiles, after.profiles))
      << "before: " << before.profiles.DebugString()
      << "after: " << after.profiles.DebugString();
  ASSERT_EQ(after.posts.size(), before.posts.size());
  for (size_t i = 0; i < before.posts.size(); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(before.posts[i], after.posts[i]))
        << "before: " << before.posts[i].DebugString()
        << "after: " << after.posts[i].DebugString();
  }
  EXPECT_TRUE(MessageDifferencer::Equals(before.documents, after.documents))
      << "before: " << before.documents.DebugString()
      << "after: " << after.documents.DebugString();

  // Writes work again.
  Document document;
  document.set_title("After undelete");
  EXPECT_FALSE(server_->CreateDocument("acme", document).name().empty());
}

TEST_P(TenantLifecycleTest, DeleteReturnsDeletedTenant) {
  const Tenant created = server_->CreateTenant("acme");
  Tenant deleted;

  const grpc::Status status = DeleteTenant("acme", &deleted);

  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(deleted.name(), "tenants/acme");
  EXPECT_EQ(deleted.state(), Tenant::DELETED);
  EXPECT_NE(deleted.etag(), created.etag());
  ASSERT_TRUE(deleted.has_delete_time());
  ASSERT_TRUE(deleted.has_purge_time());
  EXPECT_GE(TimeOf(deleted.delete_time()), TimeOf(created.create_time()));
  EXPECT_EQ(TimeOf(deleted.purge_time()) - TimeOf(deleted.delete_time()),
            kRetention);
  Tenant stored;
  ASSERT_TRUE(GetTenant("acme", &stored).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(stored, deleted))
      << "GetTenant: " << stored.DebugString()
      << "DeleteTenant: " << deleted.DebugString();
}

TEST_P(TenantLifecycleTest, DeletedTenantCallsReturnNotFound) {
  server_->CreateTenant("acme");
  const Profile profile =
      server_->CreateUserWithProfile("acme", "ada@example.com");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  ListProfilesResponse profiles;
  ListDocumentsRequest list_documents;
  list_documents.set_parent(TenantName("acme"));
  ListDocumentsResponse documents;

  const grpc::Status profile_status = ListProfiles("acme", &profiles);
  const grpc::Status document_status = server_->documents().ListDocuments(
      TestServer::TenantContext("acme").get(), list_documents, &documents);

  for (const grpc::Status& status : {profile_status, document_status}) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
        << Describe(status);
    EXPECT_TRUE(absl::StrContains(status.error_message(), "deleted"))
        << Describe(status);
    EXPECT_TRUE(absl::StrContains(status.error_message(), "UndeleteTenant"))
        << Describe(status);
    EXPECT_TRUE(
        absl::StrContains(status.error_message(), FormatPurgeTime(deleted)))
        << Describe(status);
  }
}

TEST_P(TenantLifecycleTest, DeleteOfDeletedTenantFailsPrecondition) {
  server_->CreateTenant("acme");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  Tenant again;

  const grpc::Status status = DeleteTenant("acme", &again);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "already deleted"))
      << Describe(status);
  EXPECT_TRUE(
      absl::StrContains(status.error_message(), FormatPurgeTime(deleted)))
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "force=true"))
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "UndeleteTenant"))
      << Describe(status);
  Tenant stored;
  ASSERT_TRUE(GetTenant("acme", &stored).ok());
  EXPECT_EQ(stored.etag(), deleted.etag());
}

TEST_P(TenantLifecycleTest, SoftDeleteWithStaleEtagReturnsAborted) {
  const Tenant created = server_->CreateTenant("acme");
  UpdateTenantRequest rename;
  rename.mutable_tenant()->set_name("tenants/acme");
  rename.mutable_tenant()->set_display_name("Renamed");
  Tenant renamed;
  ASSERT_TRUE(server_->tenants()
                  .UpdateTenant(TestServer::Context().get(), rename, &renamed)
                  .ok());
  Tenant deleted;

  const grpc::Status stale =
      DeleteTenant("acme", &deleted, false, created.etag());
  const grpc::Status current =
      DeleteTenant("acme", &deleted, false, renamed.etag());

  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED) << Describe(stale);
  EXPECT_TRUE(current.ok()) << Describe(current);
  EXPECT_EQ(deleted.state(), Tenant::DELETED);
}

TEST_P(TenantLifecycleTest, UndeleteRestoresEarlierState) {
  server_->CreateTenant("acme");
  UpdateTenantRequest suspend;
  suspend.mutable_tenant()->set_name("tenants/acme");
  suspend.mutable_tenant()->set_state(Tenant::SUSPENDED);
  Tenant suspended;
  ASSERT_TRUE(
      server_->tenants()
          .UpdateTenant(TestServer::Context().get(), suspend, &suspended)
          .ok());
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  Tenant restored;

  const grpc::Status status = UndeleteTenant("acme", &restored, deleted.etag());

  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(restored.state(), Tenant::SUSPENDED);
  EXPECT_FALSE(restored.has_delete_time());
  EXPECT_FALSE(restored.has_purge_time());
  EXPECT_NE(restored.etag(), deleted.etag());
  EXPECT_NE(restored.etag(), suspended.etag());
  Tenant stored;
  ASSERT_TRUE(GetTenant("acme", &stored).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(stored, restored))
      << "GetTenant: " << stored.DebugString()
      << "UndeleteTenant: " << restored.DebugString();
}

TEST_P(TenantLifecycleTest, UndeleteWithStaleEtagReturnsAborted) {
  const Tenant created = server_->CreateTenant("acme");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  Tenant restored;

  const grpc::Status status = UndeleteTenant("acme", &restored, created.etag());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
  Tenant stored;
  ASSERT_TRUE(GetTenant("acme", &stored).ok());
  EXPECT_EQ(stored.state(), Tenant::DELETED);
}

TEST_P(TenantLifecycleTest, UndeleteOfActiveTenantFailsPrecondition) {
  const Tenant created = server_->CreateTenant("acme");
  Tenant restored;

  const grpc::Status status = UndeleteTenant("acme", &restored);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "not deleted"))
      << Describe(status);
  Tenant stored;
  ASSERT_TRUE(GetTenant("acme", &stored).ok());
  EXPECT_EQ(stored.etag(), created.etag());
}

TEST_P(TenantLifecycleTest, UndeleteOfUnknownTenantReturnsNotFound) {
  Tenant restored;

  const grpc::Status status = UndeleteTenant("ghost", &restored);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "purged"))
      << Describe(status);
}

TEST_P(TenantLifecycleTest, UndeleteWithMalformedNameReturnsInvalidArgument) {
  UndeleteTenantRequest request;
  request.set_name("tenants/../shared");
  Tenant restored;

  const grpc::Status status = server_->tenants().UndeleteTenant(
      TestServer::Context().get(), request, &restored);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(status);
}

TEST_P(TenantLifecycleTest, UpdateOfDeletedTenantFailsPrecondition) {
  server_->CreateTenant("acme");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  UpdateTenantRequest rename;
  rename.mutable_tenant()->set_name("tenants/acme");
  rename.mutable_tenant()->set_display_name("Renamed");
  Tenant renamed;

  const grpc::Status status = server_->tenants().UpdateTenant(
      TestServer::Context().get(), rename, &renamed);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "UndeleteTenant"))
      << Describe(status);
  Tenant stored;
  ASSERT_TRUE(GetTenant("acme", &stored).ok());
  EXPECT_EQ(stored.display_name(), "acme");
  EXPECT_EQ(stored.etag(), deleted.etag());
}

TEST_P(TenantLifecycleTest, CreateWithDeletedIdReturnsAlreadyExists) {
  server_->CreateTenant("acme");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_display_name("New Acme");
  Tenant created;

  const grpc::Status status = CreateTenant(request, &created);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "deleted"))
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "UndeleteTenant"))
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "force=true"))
      << Describe(status);
}

TEST_P(TenantLifecycleTest, CreateDeletedTenantReturnsInvalidArgument) {
  CreateTenantRequest request;
  request.set_tenant_id("acme");
  request.mutable_tenant()->set_display_name("Acme");
  request.mutable_tenant()->set_state(Tenant::DELETED);
  Tenant created;

  const grpc::Status status = CreateTenant(request, &created);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(status);
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme")));
}

TEST_P(TenantLifecycleTest, CheckDatabaseOfDeletedTenantReturnsNotFound) {
  server_->CreateTenant("acme");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  CheckTenantDatabaseRequest request;
  request.set_name("tenants/acme");
  CheckTenantDatabaseResponse response;

  const grpc::Status status = server_->tenants().CheckTenantDatabase(
      TestServer::Context().get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "deleted"))
      << Describe(status);
}

TEST_P(TenantLifecycleTest, CreateApiKeyOfDeletedTenant) {
  server_->CreateTenant("acme");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  CreateApiKeyRequest request;
  request.set_parent("tenants/acme");
  request.mutable_api_key()->set_display_name("reports");
  ApiKey key;

  const grpc::Status status = server_->tenants().CreateApiKey(
      TestServer::Context().get(), request, &key);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "deleted"))
      << Describe(status);
  EXPECT_TRUE(key.key().empty());
}

TEST_P(TenantLifecycleTest, EtagOfRecreatedTenant) {
  const Tenant first = server_->CreateTenant("acme");
  Tenant removed;
  ASSERT_TRUE(DeleteTenant("acme", &removed, /*force=*/true).ok());
  const Tenant second = server_->CreateTenant("acme");
  Tenant deleted;

  const grpc::Status status =
      DeleteTenant("acme", &deleted, /*force=*/false, first.etag());

  EXPECT_NE(second.etag(), first.etag());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
}

TEST_P(TenantLifecycleTest, ForceDeleteRemovesFilesRowAndKeys) {
  server_->CreateTenant("acme");
  FillTenant("acme");
  CreateApiKeyRequest create_key;
  create_key.set_parent("tenants/acme");
  create_key.mutable_api_key()->set_display_name("reports");
  ApiKey key;
  ASSERT_TRUE(server_->tenants()
                  .CreateApiKey(TestServer::Context().get(), create_key, &key)
                  .ok());
  Tenant removed;

  const grpc::Status status = DeleteTenant("acme", &removed, /*force=*/true);

  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(removed.state(), Tenant::DELETED);
  ASSERT_TRUE(removed.has_delete_time());
  EXPECT_TRUE(
      MessageDifferencer::Equals(removed.delete_time(), removed.purge_time()));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme") + suffix))
        << suffix;
  }
  Tenant stored;
  EXPECT_EQ(GetTenant("acme", &stored).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ListApiKeysRequest list_keys;
  list_keys.set_parent("tenants/acme");
  ListApiKeysResponse keys;
  EXPECT_EQ(server_->tenants()
                .ListApiKeys(TestServer::Context().get(), list_keys, &keys)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The id is free again, with an empty database.
  server_->CreateTenant("acme");
  ListProfilesResponse profiles;
  ASSERT_TRUE(ListProfiles("acme", &profiles).ok());
  EXPECT_EQ(profiles.profiles_size(), 0);
}

TEST_P(TenantLifecycleTest, ForceDeletePurgesDeletedTenant) {
  server_->CreateTenant("acme");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  Tenant removed;

  const grpc::Status status = DeleteTenant("acme", &removed, /*force=*/true);

  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(removed.state(), Tenant::DELETED);
  EXPECT_TRUE(
      MessageDifferencer::Equals(removed.delete_time(), removed.purge_time()));
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme")));
  Tenant stored;
  EXPECT_EQ(GetTenant("acme", &stored).error_code(),
            grpc::StatusCode::NOT_FOUND);
  Tenant restored;
  EXPECT_EQ(UndeleteTenant("acme", &restored).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(TenantLifecycleTest, ForceDeleteWithStaleEtagReturnsAborted) {
  const Tenant created = server_->CreateTenant("acme");
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());
  Tenant removed;

  const grpc::Status status =
      DeleteTenant("acme", &removed, /*force=*/true, created.etag());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
  EXPECT_TRUE(std::filesystem::exists(DatabasePath("acme")));
}

TEST_P(TenantLifecycleTest, ListTenantsShowsDeletedOnlyOnRequest) {
  for (const char* id : {"alpha", "bravo", "charlie", "delta", "echo"}) {
    server_->CreateTenant(id);
  }
  for (const char* id : {"bravo", "delta"}) {
    Tenant deleted;
    ASSERT_TRUE(DeleteTenant(id, &deleted).ok()) << id;
  }

  // Pages of two, so that each list takes several pages.
  for (const bool show_deleted : {false, true}) {
    SCOPED_TRACE(show_deleted ? "show_deleted" : "without show_deleted");
    std::vector<std::string> names;
    std::vector<Tenant::State> states;
    ListTenantsRequest request;
    request.set_page_size(2);
    request.set_show_deleted(show_deleted);
    for (int page = 0; page < 10; ++page) {
      ListTenantsResponse response;
      const grpc::Status status = ListTenants(request, &response);
      ASSERT_TRUE(status.ok()) << Describe(status);
      for (const Tenant& tenant : response.tenants()) {
        names.push_back(tenant.name());
        states.push_back(tenant.state());
      }
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    if (show_deleted) {
      EXPECT_EQ(names, (std::vector<std::string>{
                           "tenants/alpha", "tenants/bravo", "tenants/charlie",
                           "tenants/delta", "tenants/echo"}));
      EXPECT_EQ(states, (std::vector<Tenant::State>{
                            Tenant::ACTIVE, Tenant::DELETED, Tenant::ACTIVE,
                            Tenant::DELETED, Tenant::ACTIVE}));
    } else {
      EXPECT_EQ(names,
                (std::vector<std::string>{"tenants/alpha", "tenants/charlie",
                                          "tenants/echo"}));
    }
  }
}

TEST_P(TenantLifecycleTest, PageTokenIsBoundToShowDeleted) {
  for (const char* id : {"alpha", "bravo", "charlie"}) {
    server_->CreateTenant(id);
  }
  ListTenantsRequest request;
  request.set_page_size(1);
  request.set_show_deleted(true);
  ListTenantsResponse first;
  ASSERT_TRUE(ListTenants(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_show_deleted(false);
  request.set_page_token(first.next_page_token());
  ListTenantsResponse second;

  const grpc::Status status = ListTenants(request, &second);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(status);
}

TEST_P(TenantLifecycleTest, PurgeSweepRemovesExpiredTenant) {
  services::ServerOptions options;
  options.tenant_retention = absl::Seconds(1);
  options.purge_interval = absl::Milliseconds(100);
  StartServer(options);
  server_->CreateTenant("acme");
  FillTenant("acme");
  CreateApiKeyRequest create_key;
  create_key.set_parent("tenants/acme");
  create_key.mutable_api_key()->set_display_name("reports");
  ApiKey key;
  ASSERT_TRUE(server_->tenants()
                  .CreateApiKey(TestServer::Context().get(), create_key, &key)
                  .ok());
  CreateUserRequest first_user;
  first_user.set_request_id("sweep-request");
  first_user.mutable_user()->set_email("first@example.com");
  first_user.mutable_user()->set_display_name("First");
  User created_user;
  ASSERT_TRUE(CreateUser(first_user, &created_user).ok());
  Tenant deleted;
  ASSERT_TRUE(DeleteTenant("acme", &deleted).ok());

  ASSERT_TRUE(WaitUntilPurged("acme"))
      << "the sweep did not purge the tenant within "
      << absl::FormatDuration(kSweepWait);

  for (const char* suffix : {"", "-wal", "-shm"}) {
    EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme") + suffix))
        << suffix;
  }
  ListApiKeysRequest list_keys;
  list_keys.set_parent("tenants/acme");
  ListApiKeysResponse keys;
  EXPECT_EQ(server_->tenants()
                .ListApiKeys(TestServer::Context().get(), list_keys, &keys)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The request id is older than the retention, so a round deletes it
  // and the id becomes free for a different request. Until then that
  // request gets ALREADY_EXISTS.
  CreateUserRequest second_user = first_user;
  second_user.mutable_user()->set_email("second@example.com");
  User reused;
  grpc::Status reuse;
  const absl::Time deadline = absl::Now() + kSweepWait;
  while (absl::Now() < deadline) {
    reuse = CreateUser(second_user, &reused);
    if (reuse.error_code() != grpc::StatusCode::ALREADY_EXISTS) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(reuse.ok()) << Describe(reuse);
  EXPECT_NE(reused.name(), created_user.name());
}

TEST_P(TenantLifecycleTest, PurgeSweepLeavesTenantsNotDue) {
  services::ServerOptions options;
  options.tenant_retention = absl::Hours(1);
  options.purge_interval = absl::Milliseconds(100);
  StartServer(options);
  for (const char* id : {"due", "kept", "active"}) server_->CreateTenant(id);
  for (const char* id : {"due", "kept"}) {
    Tenant deleted;
    ASSERT_TRUE(DeleteTenant(id, &deleted).ok()) << id;
  }
  MovePurgeTime("due", absl::Now() - absl::Seconds(1));

  ASSERT_TRUE(WaitUntilPurged("due"))
      << "the sweep did not purge the due tenant within "
      << absl::FormatDuration(kSweepWait);

  EXPECT_FALSE(std::filesystem::exists(DatabasePath("due")));
  Tenant not_due;
  ASSERT_TRUE(GetTenant("kept", &not_due).ok());
  EXPECT_EQ(not_due.state(), Tenant::DELETED);
  EXPECT_TRUE(std::filesystem::exists(DatabasePath("kept")));
  Tenant active;
  ASSERT_TRUE(GetTenant("active", &active).ok());
  EXPECT_EQ(active.state(), Tenant::ACTIVE);
  EXPECT_TRUE(std::filesystem::exists(DatabasePath("active")));
}

TEST_P(TenantLifecycleTest, StopDoesNotWaitForPurgeInterval) {
  services::ServerOptions options;
  options.purge_interval = absl::Hours(1);
  StartServer(options);
  server_->CreateTenant("acme");

  // A sweep that waited for its interval would hold this for an hour, and
  // Bazel's timeout would fail the test.
  server_.reset();

  SUCCEED();
}

CreateTenantRequest TenantRequest(absl::string_view tenant_id,
                                  absl::string_view request_id) {
  CreateTenantRequest request;
  request.set_tenant_id(std::string(tenant_id));
  request.mutable_tenant()->set_display_name("Acme Corp");
  request.set_request_id(std::string(request_id));
  return request;
}

TEST_P(TenantLifecycleTest, CreateTenantRepeatReturnsFirstTenant) {
  const CreateTenantRequest request = TenantRequest("acme", "create-acme-1");
  Tenant first;
  ASSERT_TRUE(CreateTenant(request, &first).ok());
  UpdateTenantRequest rename;
  rename.mutable_tenant()->set_name("tenants/acme");
  rename.mutable_tenant()->set_display_name("Acme Renamed");
  Tenant renamed;
  ASSERT_TRUE(server_->tenants()
                  .UpdateTenant(TestServer::Context().get(), rename, &renamed)
                  .ok());
  Tenant repeated;

  const grpc::Status status = CreateTenant(request, &repeated);

  ASSERT_TRUE(status.ok()) << Describe(status);
  // The tenant is read again, and the repeat changes nothing.
  EXPECT_TRUE(MessageDifferencer::Equals(repeated, renamed))
      << "repeat: " << repeated.DebugString()
      << "stored: " << renamed.DebugString();
}

TEST_P(TenantLifecycleTest, CreateTenantRequestIdWithOtherRequestFails) {
  Tenant first;
  ASSERT_TRUE(CreateTenant(TenantRequest("acme", "create-1"), &first).ok());
  Tenant second;

  const grpc::Status status =
      CreateTenant(TenantRequest("globex", "create-1"), &second);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "\"create-1\""))
      << Describe(status);
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("globex")));
  Tenant globex;
  EXPECT_EQ(GetTenant("globex", &globex).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(TenantLifecycleTest, CreateTenantMalformedRequestIdIsInvalid) {
  Tenant created;

  const grpc::Status status =
      CreateTenant(TenantRequest("acme", "not a request id!"), &created);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(status);
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme")));
}

TEST_P(TenantLifecycleTest, ConcurrentCreateTenantRepeatsMakeOneTenant) {
  constexpr int kThreads = 8;
  const CreateTenantRequest request = TenantRequest("acme", "concurrent-1");
  std::vector<Tenant> responses(kThreads);
  std::vector<grpc::Status> statuses(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i]() { statuses[i] = CreateTenant(request, &responses[i]); });
  }
  for (std::thread& thread : threads) thread.join();

  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << Describe(statuses[i]);
    EXPECT_TRUE(MessageDifferencer::Equals(responses[i], responses[0]))
        << i << ": " << responses[i].DebugString()
        << "first: " << responses[0].DebugString();
  }
  ListTenantsRequest list;
  list.set_show_deleted(true);
  ListTenantsResponse tenants;
  ASSERT_TRUE(ListTenants(list, &tenants).ok());
  EXPECT_EQ(tenants.tenants_size(), 1);
}

TEST_P(TenantLifecycleTest, CreateTenantRetryReplacesFileOfCrashedAttempt) {
  // The state a CreateTenant leaves when it crashes after reserving its
  // request id and creating the file, before registering the tenant.
  const CreateTenantRequest request = TenantRequest("acme", "crashed-1");
  absl::StatusOr<std::optional<storage::RequestKey>> key =
      services::RequestKeyFor("CreateTenant", request, "request_id",
                              request.request_id());
  ASSERT_TRUE(key.ok()) << key.status();
  ASSERT_TRUE(key->has_value());
  absl::StatusOr<std::unique_ptr<storage::SharedStore>> store =
      storage::OpenSharedStore(server_->shared_db_url());
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<bool> reserved = (*store)->ReserveRequest(**key);
  ASSERT_TRUE(reserved.ok()) << reserved.status();
  ASSERT_TRUE(*reserved);
  std::filesystem::create_directories(server_->data_dir() + "/tenants");
  std::ofstream(DatabasePath("acme")) << "half-written database";
  Tenant created;

  const grpc::Status status = CreateTenant(request, &created);

  ASSERT_TRUE(status.ok()) << Describe(status);
  CheckTenantDatabaseRequest check;
  check.set_name("tenants/acme");
  CheckTenantDatabaseResponse health;
  const grpc::Status checked = server_->tenants().CheckTenantDatabase(
      TestServer::Context().get(), check, &health);
  ASSERT_TRUE(checked.ok()) << Describe(checked);
  EXPECT_EQ(health.quick_check(), "ok");
  Tenant repeated;
  ASSERT_TRUE(CreateTenant(request, &repeated).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(repeated, created));
}

TEST_P(TenantLifecycleTest, CreateTenantRepeatAfterPurgeIsNotFound) {
  const CreateTenantRequest request = TenantRequest("acme", "purged-1");
  Tenant created;
  ASSERT_TRUE(CreateTenant(request, &created).ok());
  Tenant removed;
  ASSERT_TRUE(DeleteTenant("acme", &removed, /*force=*/true).ok());
  Tenant repeated;

  const grpc::Status status = CreateTenant(request, &repeated);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "purged"))
      << Describe(status);
  EXPECT_FALSE(std::filesystem::exists(DatabasePath("acme")));
}

TEST_P(TenantLifecycleTest, CreateTenantKeepsFileOfOtherRequest) {
  std::filesystem::create_directories(server_->data_dir() + "/tenants");
  std::ofstream(DatabasePath("acme")) << "somebody else's file";
  Tenant created;

  const grpc::Status status =
      CreateTenant(TenantRequest("acme", "fresh-1"), &created);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(status);
  std::ifstream file(DatabasePath("acme"));
  std::string content((std::istreambuf_iterator<char>(file)),
                      std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "somebody else's file");
}

CreateUserRequest UserRequest(absl::string_view email,
                              absl::string_view request_id) {
  CreateUserRequest request;
  request.mutable_user()->set_email(std::string(email));
  request.mutable_user()->set_display_name("Ada");
  request.set_request_id(std::string(request_id));
  return request;
}

TEST_P(TenantLifecycleTest, CreateUserRepeatReturnsFirstUser) {
  const CreateUserRequest request = UserRequest("ada@example.com", "user-1");
  User first;
  ASSERT_TRUE(CreateUser(request, &first).ok());
  User repeated;

  const grpc::Status status = CreateUser(request, &repeated);

  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(MessageDifferencer::Equals(repeated, first))
      << "repeat: " << repeated.DebugString()
      << "first: " << first.DebugString();
}

TEST_P(TenantLifecycleTest, CreateUserRequestIdWithOtherRequestFails) {
  User first;
  ASSERT_TRUE(
      CreateUser(UserRequest("ada@example.com", "user-1"), &first).ok());
  User second;

  const grpc::Status status =
      CreateUser(UserRequest("bob@example.com", "user-1"), &second);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "\"user-1\""))
      << Describe(status);
  ListUsersResponse users;
  ASSERT_TRUE(
      server_->users()
          .ListUsers(TestServer::Context().get(), ListUsersRequest(), &users)
          .ok());
  EXPECT_EQ(users.users_size(), 1);
}

TEST_P(TenantLifecycleTest, CreateUserWithTakenEmailNamesEmail) {
  User first;
  ASSERT_TRUE(CreateUser(UserRequest("ada@example.com", ""), &first).ok());
  User second;

  const grpc::Status status =
      CreateUser(UserRequest("ADA@example.com", "user-2"), &second);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "ADA@example.com"))
      << Describe(status);
  // The failed create recorded nothing: the id works for a new request.
  User third;
  const grpc::Status retry =
      CreateUser(UserRequest("bob@example.com", "user-2"), &third);
  EXPECT_TRUE(retry.ok()) << Describe(retry);
}

TEST_P(TenantLifecycleTest, ConcurrentCreateUserRepeatsMakeOneUser) {
  constexpr int kThreads = 8;
  const CreateUserRequest request =
      UserRequest("ada@example.com", "concurrent-user");
  std::vector<User> responses(kThreads);
  std::vector<grpc::Status> statuses(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i]() { statuses[i] = CreateUser(request, &responses[i]); });
  }
  for (std::thread& thread : threads) thread.join();

  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << Describe(statuses[i]);
    EXPECT_TRUE(MessageDifferencer::Equals(responses[i], responses[0]))
        << i << ": " << responses[i].DebugString()
        << "first: " << responses[0].DebugString();
  }
  ListUsersResponse users;
  ASSERT_TRUE(
      server_->users()
          .ListUsers(TestServer::Context().get(), ListUsersRequest(), &users)
          .ok());
  EXPECT_EQ(users.users_size(), 1);
}

TEST_P(TenantLifecycleTest, RequestIdsAreSeparatePerMethod) {
  Tenant tenant;
  ASSERT_TRUE(CreateTenant(TenantRequest("acme", "shared-id"), &tenant).ok());
  User user;

  const grpc::Status status =
      CreateUser(UserRequest("ada@example.com", "shared-id"), &user);

  EXPECT_TRUE(status.ok()) << Describe(status);
}

INSTANTIATE_TEST_SUITE_P(Backends, TenantLifecycleTest,
                         ::testing::Values(SharedStoreBackend::kSqlite,
                                           SharedStoreBackend::kPostgres),
                         SharedStoreBackendName);

}  // namespace
}  // namespace tenantry::tests
