#ifndef TENANTRY_TESTS_STORAGE_POSTGRES_TEST_DATABASE_H_
#define TENANTRY_TESTS_STORAGE_POSTGRES_TEST_DATABASE_H_

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace tenantry::testing {

// The environment variable with the URL of the PostgreSQL server that
// tools/test.sh starts for the tests.
inline constexpr char kPostgresUrlVariable[] = "TENANTRY_TEST_POSTGRES_URL";

// A new empty database on the test PostgreSQL server, dropped on
// destruction, so that tests do not see each other's rows.
class PostgresTestDatabase {
 public:
  // Returns FAILED_PRECONDITION if the server URL is not set and
  // UNAVAILABLE if the server cannot be reached: a test that needs
  // PostgreSQL fails rather than passing without it.
  static absl::StatusOr<std::unique_ptr<PostgresTestDatabase>> Create() {
    const char* server_url = std::getenv(kPostgresUrlVariable);
    if (server_url == nullptr || *server_url == '\0') {
      return absl::FailedPreconditionError(absl::StrCat(
          kPostgresUrlVariable,
          " is not set; run the tests with tools/test.sh, which starts a "
          "PostgreSQL server and sets it"));
    }
    static std::atomic<int> counter{0};
    const std::string name =
        absl::StrCat("test_", getpid(), "_", counter.fetch_add(1));
    try {
      pqxx::connection admin(server_url);
      pqxx::nontransaction(admin).exec("CREATE DATABASE " + name);
    } catch (const std::exception& error) {
      return absl::UnavailableError(
          absl::StrCat("cannot create a test database: ", error.what()));
    }
    return std::unique_ptr<PostgresTestDatabase>(
        new PostgresTestDatabase(server_url, name));
  }

  ~PostgresTestDatabase() {
    try {
      pqxx::connection admin(server_url_);
      pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ +
                                       " WITH (FORCE)");
    } catch (const std::exception&) {
      // The server stops at the end of the run and takes the database
      // with it.
    }
  }

  // The URL of this database: the server URL with its database replaced.
  std::string url() const {
    const std::string server(server_url_);
    return server.substr(0, server.rfind('/') + 1) + name_;
  }

 private:
  PostgresTestDatabase(std::string server_url, std::string name)
      : server_url_(std::move(server_url)), name_(std::move(name)) {}

  std::string server_url_;
  std::string name_;
};

}  // namespace tenantry::testing

#endif  // TENANTRY_TESTS_STORAGE_POSTGRES_TEST_DATABASE_H_
