#ifndef TENANTRY_TESTS_METRICS_TEST_SERVER_H_
#define TENANTRY_TESTS_METRICS_TEST_SERVER_H_

// A TenantryServer on 127.0.0.1 with its metrics endpoint, for the metrics
// tests, which need the endpoint's port.

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "services/server.h"
#include "tenantry/v1/document.grpc.pb.h"
#include "tenantry/v1/profile.grpc.pb.h"
#include "tenantry/v1/tenant.grpc.pb.h"
#include "tenantry/v1/user.grpc.pb.h"
#include "tests/storage/postgres_test_database.h"

namespace tenantry::tests {

class MetricsTestServer {
 public:
  // Starts a server in a new directory under $TEST_TMPDIR (or /tmp), on
  // 127.0.0.1 with a free port for gRPC, without authentication and access
  // log. The metrics endpoint is as `options` sets it. With `postgres`,
  // the shared store lives in that database.
  static absl::StatusOr<std::unique_ptr<MetricsTestServer>> Start(
      services::ServerOptions options = {},
      std::unique_ptr<testing::PostgresTestDatabase> postgres = nullptr) {
    std::unique_ptr<MetricsTestServer> test(new MetricsTestServer());
    const char* base = getenv("TEST_TMPDIR");
    std::string path = absl::StrCat(
        base != nullptr && *base != '\0' ? base : "/tmp", "/metrics-XXXXXX");
    std::vector<char> buffer(path.begin(), path.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp failed for ", path));
    }
    test->data_dir_ = buffer.data();
    test->postgres_ = std::move(postgres);
    if (test->postgres_ != nullptr) {
      options.shared_db_url = test->postgres_->url();
    }
    options.listen_address = "127.0.0.1:0";
    options.data_dir = test->data_dir_;
    options.access_log = false;
    options.allow_unauthenticated = true;
    absl::StatusOr<std::unique_ptr<services::TenantryServer>> server =
        services::TenantryServer::Start(options);
    if (!server.ok()) return server.status();
    test->server_ = *std::move(server);
    test->channel_ =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", test->server_->port()),
                            grpc::InsecureChannelCredentials());
    test->tenants_ = tenantry::v1::TenantService::NewStub(test->channel_);
    test->users_ = tenantry::v1::UserService::NewStub(test->channel_);
    test->profiles_ = tenantry::v1::ProfileService::NewStub(test->channel_);
    test->documents_ = tenantry::v1::DocumentService::NewStub(test->channel_);
    return test;
  }

  ~MetricsTestServer() {
    tenants_.reset();
    users_.reset();
    profiles_.reset();
    documents_.reset();
    channel_.reset();
    server_.reset();
    std::error_code error;
    std::filesystem::remove_all(data_dir_, error);
  }

  services::TenantryServer& server() { return *server_; }
  int metrics_port() const { return server_->metrics_port(); }
  tenantry::v1::TenantService::Stub& tenants() { return *tenants_; }
  tenantry::v1::UserService::Stub& users() { return *users_; }
  tenantry::v1::ProfileService::Stub& profiles() { return *profiles_; }
  tenantry::v1::DocumentService::Stub& documents() { return *documents_; }

 private:
  MetricsTestServer() = default;

  // Declared first so that it is dropped after the server stops.
  std::unique_ptr<testing::PostgresTestDatabase> postgres_;
  std::string data_dir_;
  std::unique_ptr<services::TenantryServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<tenantry::v1::TenantService::Stub> tenants_;
  std::unique_ptr<tenantry::v1::UserService::Stub> users_;
  std::unique_ptr<tenantry::v1::ProfileService::Stub> profiles_;
  std::unique_ptr<tenantry::v1::DocumentService::Stub> documents_;
};

}  // namespace tenantry::tests

#endif  // TENANTRY_TESTS_METRICS_TEST_SERVER_H_
