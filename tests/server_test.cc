#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

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

}  // namespace
}  // namespace tenantry::tests
