#include <gmock/gmock.h>
#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/ids.h"
#include "tests/test_server.h"

// NOTE: Matching the x-tenant-id key regardless of letter case is not
// tested, because no conforming client can send an uppercase key. gRPC C++
// 1.51 validates keys on the client: a call with
// AddMetadata("X-Tenant-ID", ...) logs "Illegal header key" and aborts the
// client process on an assertion in call_op_set.h. HTTP/2 also requires
// lowercase header names and treats a request with an uppercase name as
// malformed (RFC 7540, section 8.1.2).

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::CreatePostRequest;
using tenantry::v1::CreateProfileRequest;
using tenantry::v1::DeleteDocumentRequest;
using tenantry::v1::DeleteProfileRequest;
using tenantry::v1::Document;
using tenantry::v1::GetDocumentRequest;
using tenantry::v1::GetProfileRequest;
using tenantry::v1::GetTenantRequest;
using tenantry::v1::ListDocumentsRequest;
using tenantry::v1::ListDocumentsResponse;
using tenantry::v1::ListPostsRequest;
using tenantry::v1::ListPostsResponse;
using tenantry::v1::ListProfilesRequest;
using tenantry::v1::ListProfilesResponse;
using tenantry::v1::LookupProfileByUserRequest;
using tenantry::v1::LookupProfileByUserResponse;
using tenantry::v1::Post;
using tenantry::v1::Profile;
using tenantry::v1::Tenant;
using tenantry::v1::UpdateDocumentRequest;
using tenantry::v1::UpdateProfileRequest;
using tenantry::v1::UpdateTenantRequest;
using tenantry::v1::User;
using ::testing::HasSubstr;

// Returns the paths of every file and directory under `directory`,
// relative to it.
std::set<std::string> ListFilesRecursively(const std::string& directory) {
  std::set<std::string> paths;
  for (const std::filesystem::directory_entry& entry :
       std::filesystem::recursive_directory_iterator(directory)) {
    paths.insert(std::filesystem::relative(entry.path(), directory).string());
  }
  return paths;
}

// A factory of contexts, one per call, that carry the x-tenant-id metadata
// under test.
using ContextFactory = std::function<std::unique_ptr<grpc::ClientContext>()>;

class TenantResolutionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant("acme");
    user_ = server_->CreateUser("ada@example.com");
  }

  // Makes one call to each of several tenant-scoped methods, three of
  // which would write, and returns their statuses.
  std::vector<grpc::Status> CallTenantScopedMethods(
      const ContextFactory& make_context) {
    std::vector<grpc::Status> statuses;

    CreateProfileRequest create_profile;
    create_profile.set_parent("tenants/acme");
    create_profile.mutable_profile()->set_user(user_.name());
    Profile profile;
    statuses.push_back(server_->profiles().CreateProfile(
        make_context().get(), create_profile, &profile));

    CreateDocumentRequest create_document;
    create_document.set_parent("tenants/acme");
    create_document.mutable_document()->set_title("Report");
    Document document;
    statuses.push_back(server_->documents().CreateDocument(
        make_context().get(), create_document, &document));

    CreatePostRequest create_post;
    create_post.set_parent(
        absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()));
    create_post.mutable_post()->set_content("Hello.");
    Post post;
    statuses.push_back(server_->profiles().CreatePost(make_context().get(),
                                                      create_post, &post));

    ListProfilesRequest list_profiles;
    list_profiles.set_parent("tenants/acme");
    ListProfilesResponse profiles;
    statuses.push_back(server_->profiles().ListProfiles(
        make_context().get(), list_profiles, &profiles));

    ListDocumentsRequest list_documents;
    list_documents.set_parent("tenants/acme");
    ListDocumentsResponse documents;
    statuses.push_back(server_->documents().ListDocuments(
        make_context().get(), list_documents, &documents));
    return statuses;
  }

  // Sets the state of tenant "acme".
  void SetAcmeState(Tenant::State state) {
    UpdateTenantRequest request;
    request.mutable_tenant()->set_name("tenants/acme");
    request.mutable_tenant()->set_state(state);
    Tenant tenant;
    const grpc::Status status = server_->tenants().UpdateTenant(
        TestServer::Context().get(), request, &tenant);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
        << status.error_message();
    ASSERT_EQ(tenant.state(), state);
  }

  std::unique_ptr<TestServer> server_;
  User user_;
};

TEST_F(TenantResolutionTest, MissingTenantIdReturnsInvalidArgument) {
  const std::set<std::string> files_before =
      ListFilesRecursively(server_->data_dir());

  const std::vector<grpc::Status> statuses =
      CallTenantScopedMethods([] { return TestServer::Context(); });

  for (const grpc::Status& status : statuses) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr("x-tenant-id"));
    EXPECT_THAT(status.error_message(),
                HasSubstr(std::string(storage::kTenantIdFormat)));
  }
  EXPECT_EQ(ListFilesRecursively(server_->data_dir()), files_before);
}

TEST_F(TenantResolutionTest, MalformedTenantIdReturnsInvalidArgument) {
  const std::string malformed_ids[] = {
      "..",    "x/../../evil", "Acme",    std::string(64, 'a'), "",
      "acme ", "-acme",        "acme.db", "../shared",
  };
  const std::set<std::string> files_before =
      ListFilesRecursively(server_->data_dir());

  for (const std::string& tenant_id : malformed_ids) {
    SCOPED_TRACE(absl::StrCat("x-tenant-id \"", tenant_id, "\""));

    const std::vector<grpc::Status> statuses = CallTenantScopedMethods(
        [&tenant_id] { return TestServer::TenantContext(tenant_id); });

    for (const grpc::Status& status : statuses) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << status.error_message();
      EXPECT_THAT(status.error_message(),
                  HasSubstr(std::string(storage::kTenantIdFormat)));
    }
  }
  EXPECT_EQ(ListFilesRecursively(server_->data_dir()), files_before);
}

TEST_F(TenantResolutionTest, UnregisteredTenantIdReturnsNotFound) {
  const std::set<std::string> files_before =
      ListFilesRecursively(server_->data_dir());

  const std::vector<grpc::Status> statuses = CallTenantScopedMethods(
      [] { return TestServer::TenantContext("ghost"); });

  for (const grpc::Status& status : statuses) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
        << status.error_message();
  }
  EXPECT_EQ(ListFilesRecursively(server_->data_dir()), files_before);
  EXPECT_FALSE(
      std::filesystem::exists(server_->data_dir() + "/tenants/ghost.db"));
}

TEST_F(TenantResolutionTest, RepeatedTenantIdReturnsInvalidArgument) {
  const std::vector<grpc::Status> statuses = CallTenantScopedMethods([] {
    std::unique_ptr<grpc::ClientContext> context =
        TestServer::TenantContext("acme");
    context->AddMetadata("x-tenant-id", "acme");
    return context;
  });

  for (const grpc::Status& status : statuses) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(TenantResolutionTest, RegisteredTenantIdServesCalls) {
  ListProfilesRequest request;
  request.set_parent("tenants/acme");
  ListProfilesResponse response;

  const grpc::Status status = server_->profiles().ListProfiles(
      TestServer::TenantContext("acme").get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
}

TEST_F(TenantResolutionTest, TenantServiceIgnoresTenantId) {
  server_->CreateTenant("globex");
  GetTenantRequest request;
  request.set_name("tenants/globex");
  Tenant tenant;

  const grpc::Status status = server_->tenants().GetTenant(
      TestServer::TenantContext("../Bad").get(), request, &tenant);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(tenant.name(), "tenants/globex");
}

TEST_F(TenantResolutionTest, SuspendedTenantReturnsFailedPrecondition) {
  ASSERT_NO_FATAL_FAILURE(SetAcmeState(Tenant::SUSPENDED));

  const std::vector<grpc::Status> statuses =
      CallTenantScopedMethods([] { return TestServer::TenantContext("acme"); });

  for (const grpc::Status& status : statuses) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << status.error_message();
  }
}

TEST_F(TenantResolutionTest, SuspendedTenantKeepsItsData) {
  const Profile profile = server_->CreateProfile("acme", [&] {
    Profile request;
    request.set_user(user_.name());
    return request;
  }());
  ASSERT_NO_FATAL_FAILURE(SetAcmeState(Tenant::SUSPENDED));
  ASSERT_NO_FATAL_FAILURE(SetAcmeState(Tenant::ACTIVE));
  GetProfileRequest request;
  request.set_name(profile.name());
  Profile stored;

  const grpc::Status status = server_->profiles().GetProfile(
      TestServer::TenantContext("acme").get(), request, &stored);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(stored.name(), profile.name());
}

TEST_F(TenantResolutionTest, ReactivatedTenantServesCalls) {
  ASSERT_NO_FATAL_FAILURE(SetAcmeState(Tenant::SUSPENDED));
  ASSERT_NO_FATAL_FAILURE(SetAcmeState(Tenant::ACTIVE));

  const std::vector<grpc::Status> statuses =
      CallTenantScopedMethods([] { return TestServer::TenantContext("acme"); });

  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_EQ(statuses[0].error_code(), grpc::StatusCode::OK)
      << "CreateProfile: " << statuses[0].error_message();
  EXPECT_EQ(statuses[1].error_code(), grpc::StatusCode::OK)
      << "CreateDocument: " << statuses[1].error_message();
  // The post's parent is a profile id that does not exist.
  EXPECT_EQ(statuses[2].error_code(), grpc::StatusCode::NOT_FOUND)
      << "CreatePost: " << statuses[2].error_message();
  EXPECT_EQ(statuses[3].error_code(), grpc::StatusCode::OK)
      << "ListProfiles: " << statuses[3].error_message();
  EXPECT_EQ(statuses[4].error_code(), grpc::StatusCode::OK)
      << "ListDocuments: " << statuses[4].error_message();
}

TEST_F(TenantResolutionTest, SuspendingOneTenantKeepsOthersServing) {
  server_->CreateTenant("globex");
  ASSERT_NO_FATAL_FAILURE(SetAcmeState(Tenant::SUSPENDED));
  ListProfilesRequest request;
  request.set_parent("tenants/globex");
  ListProfilesResponse response;

  const grpc::Status status = server_->profiles().ListProfiles(
      TestServer::TenantContext("globex").get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
}

// Two tenants, "acme" and "globex", with a profile of the same user in
// each and a document owned by that profile.
class TenantIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant("acme");
    server_->CreateTenant("globex");
    user_ = server_->CreateUser("ada@example.com");

    Profile acme_profile;
    acme_profile.set_user(user_.name());
    acme_profile.set_full_name("Ada at Acme");
    acme_profile.set_slug("ada");
    acme_profile_ = server_->CreateProfile("acme", acme_profile);
    Profile globex_profile;
    globex_profile.set_user(user_.name());
    globex_profile.set_full_name("Ada at Globex");
    globex_profile.set_slug("ada");
    globex_profile_ = server_->CreateProfile("globex", globex_profile);

    Document acme_document;
    acme_document.set_title("Acme plan");
    acme_document.set_content("acme secret");
    acme_document.set_owner(acme_profile_.name());
    acme_document_ = server_->CreateDocument("acme", acme_document);
    Document globex_document;
    globex_document.set_title("Globex plan");
    globex_document.set_content("globex secret");
    globex_document.set_owner(globex_profile_.name());
    globex_document_ = server_->CreateDocument("globex", globex_document);
  }

  // Returns the id at the end of a resource name.
  static std::string IdOf(const std::string& name) {
    return name.substr(name.rfind('/') + 1);
  }

  std::unique_ptr<TestServer> server_;
  User user_;
  Profile acme_profile_;
  Profile globex_profile_;
  Document acme_document_;
  Document globex_document_;
};

TEST_F(TenantIsolationTest, SameUserHasSeparateProfilePerTenant) {
  LookupProfileByUserRequest acme_request;
  acme_request.set_parent("tenants/acme");
  acme_request.set_user(user_.name());
  LookupProfileByUserResponse acme_response;
  LookupProfileByUserRequest globex_request = acme_request;
  globex_request.set_parent("tenants/globex");
  LookupProfileByUserResponse globex_response;

  const grpc::Status acme_status = server_->profiles().LookupProfileByUser(
      TestServer::TenantContext("acme").get(), acme_request, &acme_response);
  const grpc::Status globex_status = server_->profiles().LookupProfileByUser(
      TestServer::TenantContext("globex").get(), globex_request,
      &globex_response);

  ASSERT_EQ(acme_status.error_code(), grpc::StatusCode::OK)
      << acme_status.error_message();
  ASSERT_EQ(globex_status.error_code(), grpc::StatusCode::OK)
      << globex_status.error_message();
  EXPECT_NE(acme_profile_.name(), globex_profile_.name());
  EXPECT_EQ(acme_response.profile().name(), acme_profile_.name());
  EXPECT_EQ(acme_response.profile().full_name(), "Ada at Acme");
  EXPECT_EQ(globex_response.profile().name(), globex_profile_.name());
  EXPECT_EQ(globex_response.profile().full_name(), "Ada at Globex");
}

TEST_F(TenantIsolationTest, ListProfilesReturnsOnlyCallingTenantProfiles) {
  ListProfilesRequest request;
  request.set_parent("tenants/acme");
  ListProfilesResponse response;

  const grpc::Status status = server_->profiles().ListProfiles(
      TestServer::TenantContext("acme").get(), request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.profiles_size(), 1);
  EXPECT_EQ(response.profiles(0).name(), acme_profile_.name());
  EXPECT_EQ(response.profiles(0).full_name(), "Ada at Acme");
}

TEST_F(TenantIsolationTest, ListDocumentsReturnsOnlyCallingTenantDocuments) {
  ListDocumentsRequest request;
  request.set_parent("tenants/acme");
  request.set_view(tenantry::v1::FULL);
  ListDocumentsResponse response;

  const grpc::Status status = server_->documents().ListDocuments(
      TestServer::TenantContext("acme").get(), request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.documents_size(), 1);
  EXPECT_EQ(response.documents(0).name(), acme_document_.name());
  EXPECT_EQ(response.documents(0).content(), "acme secret");
}

TEST_F(TenantIsolationTest, IdOfOtherTenantResourceReturnsNotFound) {
  const std::string globex_profile_in_acme =
      absl::StrCat("tenants/acme/profiles/", IdOf(globex_profile_.name()));
  const std::string globex_document_in_acme =
      absl::StrCat("tenants/acme/documents/", IdOf(globex_document_.name()));
  std::vector<std::pair<std::string, grpc::Status>> results;

  GetProfileRequest get_profile;
  get_profile.set_name(globex_profile_in_acme);
  Profile profile;
  results.emplace_back(
      "GetProfile",
      server_->profiles().GetProfile(TestServer::TenantContext("acme").get(),
                                     get_profile, &profile));
  UpdateProfileRequest update_profile;
  update_profile.mutable_profile()->set_name(globex_profile_in_acme);
  update_profile.mutable_profile()->set_full_name("Hijacked");
  results.emplace_back(
      "UpdateProfile",
      server_->profiles().UpdateProfile(TestServer::TenantContext("acme").get(),
                                        update_profile, &profile));
  DeleteProfileRequest delete_profile;
  delete_profile.set_name(globex_profile_in_acme);
  google::protobuf::Empty empty;
  results.emplace_back(
      "DeleteProfile",
      server_->profiles().DeleteProfile(TestServer::TenantContext("acme").get(),
                                        delete_profile, &empty));
  ListPostsRequest list_posts;
  list_posts.set_parent(globex_profile_in_acme);
  ListPostsResponse posts;
  results.emplace_back("ListPosts", server_->profiles().ListPosts(
                                        TestServer::TenantContext("acme").get(),
                                        list_posts, &posts));
  GetDocumentRequest get_document;
  get_document.set_name(globex_document_in_acme);
  Document document;
  results.emplace_back(
      "GetDocument",
      server_->documents().GetDocument(TestServer::TenantContext("acme").get(),
                                       get_document, &document));
  DeleteDocumentRequest delete_document;
  delete_document.set_name(globex_document_in_acme);
  results.emplace_back(
      "DeleteDocument",
      server_->documents().DeleteDocument(
          TestServer::TenantContext("acme").get(), delete_document, &empty));

  for (const auto& [method, status] : results) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
        << method << ": " << status.error_message();
  }
  GetProfileRequest get_globex;
  get_globex.set_name(globex_profile_.name());
  Profile globex_profile;
  ASSERT_EQ(server_->profiles()
                .GetProfile(TestServer::TenantContext("globex").get(),
                            get_globex, &globex_profile)
                .error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(globex_profile.full_name(), "Ada at Globex");
}

TEST_F(TenantIsolationTest, NameOfOtherTenantReturnsInvalidArgument) {
  std::vector<std::pair<std::string, grpc::Status>> results;
  Profile profile;
  Document document;
  google::protobuf::Empty empty;

  GetProfileRequest get_profile;
  get_profile.set_name(globex_profile_.name());
  results.emplace_back(
      "GetProfile",
      server_->profiles().GetProfile(TestServer::TenantContext("acme").get(),
                                     get_profile, &profile));
  CreateProfileRequest create_profile;
  create_profile.set_parent("tenants/globex");
  create_profile.mutable_profile()->set_user(
      server_->CreateUser("bob@example.com").name());
  results.emplace_back(
      "CreateProfile",
      server_->profiles().CreateProfile(TestServer::TenantContext("acme").get(),
                                        create_profile, &profile));
  LookupProfileByUserRequest lookup;
  lookup.set_parent("tenants/globex");
  lookup.set_user(user_.name());
  LookupProfileByUserResponse lookup_response;
  results.emplace_back(
      "LookupProfileByUser",
      server_->profiles().LookupProfileByUser(
          TestServer::TenantContext("acme").get(), lookup, &lookup_response));
  ListProfilesRequest list_profiles;
  list_profiles.set_parent("tenants/globex");
  ListProfilesResponse profiles;
  results.emplace_back(
      "ListProfiles",
      server_->profiles().ListProfiles(TestServer::TenantContext("acme").get(),
                                       list_profiles, &profiles));
  UpdateProfileRequest update_profile;
  update_profile.mutable_profile()->set_name(globex_profile_.name());
  update_profile.mutable_profile()->set_full_name("Hijacked");
  results.emplace_back(
      "UpdateProfile",
      server_->profiles().UpdateProfile(TestServer::TenantContext("acme").get(),
                                        update_profile, &profile));
  DeleteProfileRequest delete_profile;
  delete_profile.set_name(globex_profile_.name());
  results.emplace_back(
      "DeleteProfile",
      server_->profiles().DeleteProfile(TestServer::TenantContext("acme").get(),
                                        delete_profile, &empty));
  CreatePostRequest create_post;
  create_post.set_parent(globex_profile_.name());
  create_post.mutable_post()->set_content("Hijacked");
  Post post;
  results.emplace_back(
      "CreatePost",
      server_->profiles().CreatePost(TestServer::TenantContext("acme").get(),
                                     create_post, &post));
  ListPostsRequest list_posts;
  list_posts.set_parent(globex_profile_.name());
  ListPostsResponse posts;
  results.emplace_back("ListPosts", server_->profiles().ListPosts(
                                        TestServer::TenantContext("acme").get(),
                                        list_posts, &posts));
  CreateDocumentRequest create_document;
  create_document.set_parent("tenants/globex");
  create_document.mutable_document()->set_title("Hijacked");
  results.emplace_back(
      "CreateDocument",
      server_->documents().CreateDocument(
          TestServer::TenantContext("acme").get(), create_document, &document));
  CreateDocumentRequest create_owned_document;
  create_owned_document.set_parent("tenants/acme");
  create_owned_document.mutable_document()->set_title("Hijacked");
  create_owned_document.mutable_document()->set_owner(globex_profile_.name());
  results.emplace_back("CreateDocument with owner",
                       server_->documents().CreateDocument(
                           TestServer::TenantContext("acme").get(),
                           create_owned_document, &document));
  GetDocumentRequest get_document;
  get_document.set_name(globex_document_.name());
  results.emplace_back(
      "GetDocument",
      server_->documents().GetDocument(TestServer::TenantContext("acme").get(),
                                       get_document, &document));
  ListDocumentsRequest list_documents;
  list_documents.set_parent("tenants/globex");
  ListDocumentsResponse documents;
  results.emplace_back(
      "ListDocuments",
      server_->documents().ListDocuments(
          TestServer::TenantContext("acme").get(), list_documents, &documents));
  ListDocumentsRequest filter_documents;
  filter_documents.set_parent("tenants/acme");
  filter_documents.set_filter(
      absl::StrCat("owner = \"", globex_profile_.name(), "\""));
  results.emplace_back("ListDocuments with filter",
                       server_->documents().ListDocuments(
                           TestServer::TenantContext("acme").get(),
                           filter_documents, &documents));
  UpdateDocumentRequest update_document;
  update_document.mutable_document()->set_name(globex_document_.name());
  update_document.mutable_document()->set_title("Hijacked");
  results.emplace_back(
      "UpdateDocument",
      server_->documents().UpdateDocument(
          TestServer::TenantContext("acme").get(), update_document, &document));
  UpdateDocumentRequest move_document;
  move_document.mutable_document()->set_name(acme_document_.name());
  move_document.mutable_document()->set_owner(globex_profile_.name());
  results.emplace_back(
      "UpdateDocument with owner",
      server_->documents().UpdateDocument(
          TestServer::TenantContext("acme").get(), move_document, &document));
  DeleteDocumentRequest delete_document;
  delete_document.set_name(globex_document_.name());
  results.emplace_back(
      "DeleteDocument",
      server_->documents().DeleteDocument(
          TestServer::TenantContext("acme").get(), delete_document, &empty));

  for (const auto& [method, status] : results) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << status.error_message();
  }
  GetDocumentRequest get_globex;
  get_globex.set_name(globex_document_.name());
  Document globex_document;
  ASSERT_EQ(server_->documents()
                .GetDocument(TestServer::TenantContext("globex").get(),
                             get_globex, &globex_document)
                .error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(globex_document.title(), "Globex plan");
  EXPECT_EQ(globex_document.owner(), globex_profile_.name());
}

TEST_F(TenantIsolationTest, DeletingTenantKeepsOtherTenantData) {
  tenantry::v1::DeleteTenantRequest request;
  request.set_name("tenants/globex");
  request.set_force(true);
  tenantry::v1::Tenant deleted;
  ASSERT_EQ(server_->tenants()
                .DeleteTenant(TestServer::Context().get(), request, &deleted)
                .error_code(),
            grpc::StatusCode::OK);
  GetDocumentRequest get_document;
  get_document.set_name(acme_document_.name());
  Document document;

  const grpc::Status status = server_->documents().GetDocument(
      TestServer::TenantContext("acme").get(), get_document, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.content(), "acme secret");
  EXPECT_EQ(document.owner(), acme_profile_.name());
}

}  // namespace
}  // namespace tenantry::tests
