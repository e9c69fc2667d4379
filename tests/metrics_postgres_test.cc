// The shared-store connection series with the shared store on the
// PostgreSQL server that tools/test.sh starts.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/postgres_pool.h"
#include "tests/metrics_test_server.h"
#include "tests/metrics_text.h"
#include "tests/storage/postgres_test_database.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateUserRequest;
using tenantry::v1::User;
using testing::PostgresTestDatabase;

constexpr absl::Duration kPatience = absl::Seconds(10);

absl::StatusOr<ParsedMetrics> Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10);
  httplib::Result result = client.Get("/metrics");
  if (!result) {
    return absl::UnavailableError(absl::StrCat(
        "GET /metrics failed: ", httplib::to_string(result.error())));
  }
  if (result->status != 200) {
    return absl::InternalError(
        absl::StrCat("GET /metrics returned HTTP ", result->status));
  }
  return ParseMetricsText(result->body);
}

// Polls `done` every 10 ms for up to kPatience and returns whether it
// became true.
bool Eventually(const std::function<bool()>& done) {
  const absl::Time give_up = absl::Now() + kPatience;
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

grpc::Status CreateUser(MetricsTestServer& server, const std::string& email) {
  CreateUserRequest request;
  request.mutable_user()->set_email(email);
  request.mutable_user()->set_display_name("Metrics");
  User user;
  return server.users().CreateUser(TestServer::Context().get(), request, &user);
}

TEST(MetricsPostgres, PoolSeriesPresentAndMove) {
  absl::StatusOr<std::unique_ptr<PostgresTestDatabase>> database =
      PostgresTestDatabase::Create();
  ASSERT_TRUE(database.ok()) << database.status();
  const std::string url = (*database)->url();
  services::ServerOptions options;
  options.metrics_listen_address = "127.0.0.1:0";
  options.shared_db_pool_size = 1;
  absl::StatusOr<std::unique_ptr<MetricsTestServer>> started =
      MetricsTestServer::Start(options, *std::move(database));
  ASSERT_TRUE(started.ok()) << started.status();
  MetricsTestServer& server = **started;
  const int port = server.metrics_port();

  // The purge sweep's first round at start may still hold the connection.
  absl::StatusOr<ParsedMetrics> before;
  EXPECT_TRUE(Eventually([&] {
    before = Scrape(port);
    return before.ok() &&
           before->Value("tenantry_shared_store_connections_in_use") == 0.0;
  }));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->Value("tenantry_shared_store_connections_max"), 1);
  const double waits_before =
      before->Value("tenantry_shared_store_connection_waits_total")
          .value_or(-1);
  ASSERT_GE(waits_before, 0);
  ASSERT_TRUE(
      before->Value("tenantry_shared_store_connection_wait_timeouts_total")
          .has_value());

  // A lock held from outside makes the first CreateUser hold the pool's
  // only connection, so the second one has to wait for it.
  pqxx::connection locker(url);
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
  grpc::Status first_status;
  grpc::Status second_status;
  std::thread first(
      [&] { first_status = CreateUser(server, "first@example.com"); });
  const bool one_in_use = Eventually([&] {
    absl::StatusOr<ParsedMetrics> parsed = Scrape(port);
    return parsed.ok() &&
           parsed->Value("tenantry_shared_store_connections_in_use") == 1.0;
  });
  std::thread second(
      [&] { second_status = CreateUser(server, "second@example.com"); });
  const bool waited = Eventually([&] {
    absl::StatusOr<ParsedMetrics> parsed = Scrape(port);
    return parsed.ok() &&
           parsed->Value("tenantry_shared_store_connection_waits_total")
                   .value_or(0) > waits_before;
  });
  lock.commit();
  first.join();
  second.join();
  EXPECT_TRUE(one_in_use) << "no call held the shared-store connection";
  EXPECT_TRUE(waited) << "the second call did not wait for a connection";
  EXPECT_TRUE(first_status.ok()) << first_status.error_message();
  // The pool gives up on a connection after 5 seconds; the lock ends
  // before that unless the machine stalls.
  EXPECT_TRUE(second_status.ok() ||
              second_status.error_code() == grpc::StatusCode::UNAVAILABLE)
      << second_status.error_message();

  absl::StatusOr<ParsedMetrics> after = Scrape(port);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->Value("tenantry_shared_store_connections_open"), 1);
  EXPECT_EQ(after->Value("tenantry_shared_store_connections_in_use"), 0);
}

TEST(MetricsPostgres, PoolCountsWaitsAndTimeouts) {
  absl::StatusOr<std::unique_ptr<PostgresTestDatabase>> database =
      PostgresTestDatabase::Create();
  ASSERT_TRUE(database.ok()) << database.status();
  storage::PostgresPool::Options options;
  options.url = (*database)->url();
  options.size = 1;
  options.acquire_timeout = absl::Seconds(5);
  storage::PostgresPool pool(options);

  absl::StatusOr<storage::PostgresPool::Lease> first_lease = pool.Acquire();
  ASSERT_TRUE(first_lease.ok()) << first_lease.status();
  storage::PostgresPool::Stats stats = pool.stats();
  EXPECT_EQ(stats.open, 1);
  EXPECT_EQ(stats.in_use, 1);
  EXPECT_EQ(stats.waits, 0);

  absl::Notification acquired;
  std::thread waiter([&] {
    absl::StatusOr<storage::PostgresPool::Lease> lease = pool.Acquire();
    EXPECT_TRUE(lease.ok()) << lease.status();
    acquired.Notify();
  });
  EXPECT_TRUE(Eventually([&] { return pool.stats().waits == 1; }));
  EXPECT_FALSE(acquired.HasBeenNotified());
  // Destroying the lease returns its connection to the pool.
  first_lease = absl::CancelledError("returned to the pool");
  waiter.join();
  stats = pool.stats();
  EXPECT_EQ(stats.open, 1);
  EXPECT_EQ(stats.in_use, 0);
  EXPECT_EQ(stats.waits, 1);
  EXPECT_EQ(stats.wait_timeouts, 0);

  storage::PostgresPool::Options short_wait = options;
  short_wait.acquire_timeout = absl::Milliseconds(50);
  storage::PostgresPool impatient(short_wait);
  absl::StatusOr<storage::PostgresPool::Lease> only = impatient.Acquire();
  ASSERT_TRUE(only.ok()) << only.status();
  EXPECT_EQ(impatient.Acquire().status().code(),
            absl::StatusCode::kUnavailable);
  stats = impatient.stats();
  EXPECT_EQ(stats.waits, 1);
  EXPECT_EQ(stats.wait_timeouts, 1);
}

}  // namespace
}  // namespace tenantry::tests
