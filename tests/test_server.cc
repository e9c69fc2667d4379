#include "tests/test_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace grpc {

void PrintTo(StatusCode code, std::ostream* os) {
  // grpc::StatusCode and absl::StatusCode number the canonical codes the
  // same way.
  *os << absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

}  // namespace grpc

namespace tenantry::tests {
namespace {

using tenantry::v1::Document;
using tenantry::v1::Profile;
using tenantry::v1::Tenant;
using tenantry::v1::User;

// Creates a new, empty directory and returns its path.
absl::StatusOr<std::string> MakeTemporaryDirectory() {
  const char* base = getenv("TEST_TMPDIR");
  std::string path_template = absl::StrCat(
      base != nullptr && *base != '\0' ? base : "/tmp", "/tenantry-XXXXXX");
  std::vector<char> buffer(path_template.begin(), path_template.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("mkdtemp failed for ", path_template));
  }
  return std::string(buffer.data());
}

std::string DescribeStatus(const grpc::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

}  // namespace

std::string TenantName(absl::string_view tenant_id) {
  return absl::StrCat("tenants/", tenant_id);
}

std::string SharedStoreBackendName(
    const ::testing::TestParamInfo<SharedStoreBackend>& info) {
  return info.param == SharedStoreBackend::kPostgres ? "Postgres" : "Sqlite";
}

absl::StatusOr<std::unique_ptr<TestServer>> TestServer::Start(
    services::ServerOptions options, SharedStoreBackend backend) {
  std::unique_ptr<TestServer> test_server(new TestServer());
  if (backend == SharedStoreBackend::kPostgres) {
    absl::StatusOr<std::unique_ptr<testing::PostgresTestDatabase>> database =
        testing::PostgresTestDatabase::Create();
    if (!database.ok()) return database.status();
    test_server->postgres_ = *std::move(database);
    options.shared_db_url = test_server->postgres_->url();
  }
  absl::StatusOr<std::string> data_dir = MakeTemporaryDirectory();
  if (!data_dir.ok()) return data_dir.status();
  test_server->data_dir_ = *std::move(data_dir);

  options.listen_address = "127.0.0.1:0";
  options.data_dir = test_server->data_dir_;
  options.access_log = false;
  options.allow_unauthenticated = options.admin_key.empty();
  absl::StatusOr<std::unique_ptr<services::TenantryServer>> server =
      services::TenantryServer::Start(options);
  if (!server.ok()) return server.status();
  test_server->server_ = *std::move(server);

  test_server->channel_ = grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", test_server->server_->port()),
      grpc::InsecureChannelCredentials());
  test_server->tenant_stub_ =
      tenantry::v1::TenantService::NewStub(test_server->channel_);
  test_server->user_stub_ =
      tenantry::v1::UserService::NewStub(test_server->channel_);
  test_server->profile_stub_ =
      tenantry::v1::ProfileService::NewStub(test_server->channel_);
  test_server->document_stub_ =
      tenantry::v1::DocumentService::NewStub(test_server->channel_);
  return test_server;
}

TestServer::~TestServer() {
  tenant_stub_.reset();
  user_stub_.reset();
  profile_stub_.reset();
  document_stub_.reset();
  channel_.reset();
  // The server's destructor stops it and waits for calls in flight.
  server_.reset();
  std::error_code error;
  std::filesystem::remove_all(data_dir_, error);
}

std::string TestServer::shared_db_url() const {
  if (postgres_ != nullptr) return postgres_->url();
  return absl::StrCat("sqlite:", data_dir_, "/shared.db");
}

std::unique_ptr<grpc::ClientContext> TestServer::Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(kCallTimeoutSeconds));
  return context;
}

std::unique_ptr<grpc::ClientContext> TestServer::TenantContext(
    absl::string_view tenant_id) {
  std::unique_ptr<grpc::ClientContext> context = Context();
  context->AddMetadata("x-tenant-id", std::string(tenant_id));
  return context;
}

Tenant TestServer::CreateTenant(absl::string_view tenant_id) {
  tenantry::v1::CreateTenantRequest request;
  request.set_tenant_id(std::string(tenant_id));
  request.mutable_tenant()->set_display_name(std::string(tenant_id));
  Tenant tenant;
  const grpc::Status status =
      tenants().CreateTenant(Context().get(), request, &tenant);
  if (!status.ok()) {
    ADD_FAILURE() << "CreateTenant(\"" << tenant_id
                  << "\") failed: " << DescribeStatus(status);
    return Tenant();
  }
  return tenant;
}

User TestServer::CreateUser(absl::string_view email) {
  tenantry::v1::CreateUserRequest request;
  request.mutable_user()->set_email(std::string(email));
  request.mutable_user()->set_display_name(
      std::string(email.substr(0, email.find('@'))));
  User user;
  const grpc::Status status =
      users().CreateUser(Context().get(), request, &user);
  if (!status.ok()) {
    ADD_FAILURE() << "CreateUser(\"" << email
                  << "\") failed: " << DescribeStatus(status);
    return User();
  }
  return user;
}

Profile TestServer::CreateProfile(absl::string_view tenant_id,
                                  const Profile& profile) {
  tenantry::v1::CreateProfileRequest request;
  request.set_parent(TenantName(tenant_id));
  *request.mutable_profile() = profile;
  Profile created;
  const grpc::Status status = profiles().CreateProfile(
      TenantContext(tenant_id).get(), request, &created);
  if (!status.ok()) {
    ADD_FAILURE() << "CreateProfile in tenant \"" << tenant_id
                  << "\" for user \"" << profile.user()
                  << "\" failed: " << DescribeStatus(status);
    return Profile();
  }
  return created;
}

Profile TestServer::CreateUserWithProfile(absl::string_view tenant_id,
                                          absl::string_view email) {
  Profile profile;
  profile.set_user(CreateUser(email).name());
  return CreateProfile(tenant_id, profile);
}

Document TestServer::CreateDocument(absl::string_view tenant_id,
                                    const Document& document) {
  tenantry::v1::CreateDocumentRequest request;
  request.set_parent(TenantName(tenant_id));
  *request.mutable_document() = document;
  Document created;
  const grpc::Status status = documents().CreateDocument(
      TenantContext(tenant_id).get(), request, &created);
  if (!status.ok()) {
    ADD_FAILURE() << "CreateDocument \"" << document.title()
                  << "\" in tenant \"" << tenant_id
                  << "\" failed: " << DescribeStatus(status);
    return Document();
  }
  return created;
}

}  // namespace tenantry::tests
