#ifndef TENANTRY_TESTS_TEST_SERVER_H_
#define TENANTRY_TESTS_TEST_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "services/server.h"
#include "tenantry/v1/document.grpc.pb.h"
#include "tenantry/v1/profile.grpc.pb.h"
#include "tenantry/v1/tenant.grpc.pb.h"
#include "tenantry/v1/user.grpc.pb.h"
#include "tests/storage/postgres_test_database.h"

namespace grpc {

// Prints a status code by name, such as NOT_FOUND. gtest finds this
// overload by argument-dependent lookup, so failed EXPECT_EQ checks on
// error_code() show names instead of numbers.
void PrintTo(StatusCode code, std::ostream* os);

}  // namespace grpc

namespace tenantry::tests {

// Where a TestServer keeps its shared store.
enum class SharedStoreBackend {
  // A SQLite file in the data directory.
  kSqlite,
  // A new database on the PostgreSQL server that tools/test.sh starts.
  kPostgres,
};

// Names a test parameter: "Sqlite" or "Postgres".
std::string SharedStoreBackendName(
    const ::testing::TestParamInfo<SharedStoreBackend>& info);

// A TenantryServer on 127.0.0.1 with its own data directory, and a client
// channel with one stub per service. Helpers that create resources record
// a gtest failure when the call fails and then return an empty message.
class TestServer {
 public:
  // Creates a new directory under $TEST_TMPDIR (or /tmp) and starts the
  // server there on 127.0.0.1 with a port picked by the system and the
  // access log off. `options.listen_address`, `data_dir` and `access_log`
  // are overwritten; the other options are used as given. With kPostgres,
  // `shared_db_url` is overwritten too, and the start fails if the test
  // PostgreSQL server is not available.
  static absl::StatusOr<std::unique_ptr<TestServer>> Start(
      services::ServerOptions options = {},
      SharedStoreBackend backend = SharedStoreBackend::kSqlite);

  // Shuts the server down and removes the data directory.
  ~TestServer();

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  const std::string& data_dir() const { return data_dir_; }
  // The URL of the server's shared store, for tests that open it directly.
  std::string shared_db_url() const;
  int port() const { return server_->port(); }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  tenantry::v1::TenantService::Stub& tenants() { return *tenant_stub_; }
  tenantry::v1::UserService::Stub& users() { return *user_stub_; }
  tenantry::v1::ProfileService::Stub& profiles() { return *profile_stub_; }
  tenantry::v1::DocumentService::Stub& documents() { return *document_stub_; }

  // Returns a context for calls that need no tenant. Its deadline is
  // kCallTimeoutSeconds from now, so that a hung call fails the test
  // instead of blocking it.
  static std::unique_ptr<grpc::ClientContext> Context();

  // Returns a context like Context() that also sends `tenant_id` as the
  // x-tenant-id metadata.
  static std::unique_ptr<grpc::ClientContext> TenantContext(
      absl::string_view tenant_id);

  // Creates an ACTIVE tenant whose display name is its id.
  tenantry::v1::Tenant CreateTenant(absl::string_view tenant_id);

  // Creates a user whose display name is the part of `email` before '@'.
  tenantry::v1::User CreateUser(absl::string_view email);

  // Creates `profile` in the tenant; `profile.user` must be set.
  tenantry::v1::Profile CreateProfile(absl::string_view tenant_id,
                                      const tenantry::v1::Profile& profile);

  // Creates a user with `email` and a profile of that user in the tenant,
  // and returns the profile.
  tenantry::v1::Profile CreateUserWithProfile(absl::string_view tenant_id,
                                              absl::string_view email);

  // Creates `document` in the tenant.
  tenantry::v1::Document CreateDocument(absl::string_view tenant_id,
                                        const tenantry::v1::Document& document);

  // The deadline of every context from Context() and TenantContext().
  static constexpr int kCallTimeoutSeconds = 10;

 private:
  TestServer() = default;

  // Declared first so that it is dropped after the server stops.
  std::unique_ptr<testing::PostgresTestDatabase> postgres_;
  std::string data_dir_;
  std::unique_ptr<services::TenantryServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<tenantry::v1::TenantService::Stub> tenant_stub_;
  std::unique_ptr<tenantry::v1::UserService::Stub> user_stub_;
  std::unique_ptr<tenantry::v1::ProfileService::Stub> profile_stub_;
  std::unique_ptr<tenantry::v1::DocumentService::Stub> document_stub_;
};

// Returns `tenants/<tenant_id>`.
std::string TenantName(absl::string_view tenant_id);

}  // namespace tenantry::tests

#endif  // TENANTRY_TESTS_TEST_SERVER_H_
