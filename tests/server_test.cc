#include "services/server.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "tests/test_server.h"

// Server reflection is checked by tests/reflection with a Python client:
// Debian's libgrpc++-dev 1.51 has no C++ reflection client API, and a C++
// copy of the reflection protos would clash with the ones compiled into
// libgrpc++_reflection.

namespace tenantry::tests {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(ServerTest, HealthCheckOfServerReturnsServing) {
  std::unique_ptr<Health::Stub> health = Health::NewStub(server_->channel());
  HealthCheckRequest request;
  HealthCheckResponse response;

  const grpc::Status status =
      health->Check(TestServer::Context().get(), request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
}

TEST_F(ServerTest, HealthCheckOfUnknownServiceReturnsNotFound) {
  std::unique_ptr<Health::Stub> health = Health::NewStub(server_->channel());
  HealthCheckRequest request;
  request.set_service("tenantry.v1.NoSuchService");
  HealthCheckResponse response;

  const grpc::Status status =
      health->Check(TestServer::Context().get(), request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(ServerTest, HealthCheckOfEachServiceReturnsServing) {
  std::unique_ptr<Health::Stub> health = Health::NewStub(server_->channel());
  for (const char* service :
       {"tenantry.v1.TenantService", "tenantry.v1.UserService",
        "tenantry.v1.ProfileService", "tenantry.v1.DocumentService"}) {
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;

    const grpc::Status status =
        health->Check(TestServer::Context().get(), request, &response);

    ASSERT_EQ(status.error_code(), grpc::StatusCode::OK) << service;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << service;
  }
}

TEST_F(ServerTest, SecondServerOnBusyPortFailsToStart) {
  services::ServerOptions options;
  options.listen_address = absl::StrCat("127.0.0.1:", server_->port());
  options.data_dir = server_->data_dir() + "/second";
  options.access_log = false;
  options.allow_unauthenticated = true;

  auto second = services::TenantryServer::Start(options);

  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable)
      << second.status();
}

TEST_F(ServerTest, StartWithoutAdminKeyFails) {
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = server_->data_dir() + "/keyless";
  options.access_log = false;

  auto keyless = services::TenantryServer::Start(options);

  EXPECT_EQ(keyless.status().code(), absl::StatusCode::kFailedPrecondition)
      << keyless.status();
  EXPECT_THAT(std::string(keyless.status().message()),
              ::testing::HasSubstr("--allow_unauthenticated"));
  // The check runs before any storage is opened.
  EXPECT_FALSE(std::filesystem::exists(options.data_dir));
}

TEST_F(ServerTest, ShortAdminKeyFails) {
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = server_->data_dir() + "/short-key";
  options.access_log = false;
  options.admin_key = "too-short";

  auto started = services::TenantryServer::Start(options);

  EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument)
      << started.status();
  EXPECT_THAT(std::string(started.status().message()),
              ::testing::HasSubstr("at least 20"));
}

TEST_F(ServerTest, ShutdownEndsHealthWatchQuickly) {
  services::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = server_->data_dir() + "/watched";
  options.access_log = false;
  options.allow_unauthenticated = true;
  auto watched = services::TenantryServer::Start(options);
  ASSERT_TRUE(watched.ok()) << watched.status();
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*watched)->port()),
                          grpc::InsecureChannelCredentials());
  std::unique_ptr<Health::Stub> health = Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  auto watch = health->Watch(&context, HealthCheckRequest());
  HealthCheckResponse response;
  ASSERT_TRUE(watch->Read(&response));
  ASSERT_EQ(response.status(), HealthCheckResponse::SERVING);

  // A grace period as long as the server's default; an open Watch must
  // not hold the stop until it ends.
  const absl::Time start = absl::Now();
  (*watched)->Shutdown(absl::Seconds(10));
  (*watched)->Wait();
  const absl::Duration stop_time = absl::Now() - start;

  EXPECT_LT(stop_time, absl::Seconds(2));
  bool saw_not_serving = false;
  while (watch->Read(&response)) {
    saw_not_serving |= response.status() == HealthCheckResponse::NOT_SERVING;
  }
  EXPECT_TRUE(saw_not_serving);
}

}  // namespace
}  // namespace tenantry::tests
