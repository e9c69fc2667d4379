#include "storage/database_errors.h"

#include <sqlite3.h>

#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/postgres_pool.h"

namespace tenantry::storage {
namespace {

TEST(DatabaseErrorsTest, SqliteResultCodesMapToCanonicalCodes) {
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CONSTRAINT_UNIQUE),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CONSTRAINT_PRIMARYKEY),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CONSTRAINT_FOREIGNKEY),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CONSTRAINT_CHECK),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_BUSY),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_LOCKED),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_FULL),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusCodeForSqliteResult(SQLITE_CORRUPT),
            absl::StatusCode::kInternal);
}

TEST(DatabaseErrorsTest, SqlStatesMapToCanonicalCodes) {
  EXPECT_EQ(StatusCodeForSqlState("23505"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqlState("23503"),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlState("23514"),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlState("40001"), absl::StatusCode::kAborted);
  EXPECT_EQ(StatusCodeForSqlState("40P01"), absl::StatusCode::kAborted);
  EXPECT_EQ(StatusCodeForSqlState("08006"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("57P01"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("53300"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("53100"),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusCodeForSqlState("57014"),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusCodeForSqlState("42P01"), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForSqlState(""), absl::StatusCode::kInternal);
}

TEST(DatabaseErrorsTest, OnlySerializationAndDeadlockAreRetryable) {
  EXPECT_TRUE(IsRetryableSqlState("40001"));
  EXPECT_TRUE(IsRetryableSqlState("40P01"));
  EXPECT_FALSE(IsRetryableSqlState("23505"));
  EXPECT_FALSE(IsRetryableSqlState("08006"));
}

TEST(PostgresErrorTest, LibpqxxExceptionsMapToCanonicalCodes) {
  EXPECT_EQ(
      PostgresError(pqxx::unique_violation("dup", "", "23505"), "insert", "")
          .code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(PostgresError(pqxx::serialization_failure("conflict"), "update", "")
                .code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(
      PostgresError(pqxx::deadlock_detected("deadlock"), "update", "").code(),
      absl::StatusCode::kAborted);
  EXPECT_EQ(PostgresError(pqxx::broken_connection("gone"), "select", "").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(PostgresError(std::runtime_error("odd"), "select", "").code(),
            absl::StatusCode::kInternal);
}

TEST(PostgresErrorTest, MessageHidesPasswordAndNamesSqlState) {
  const absl::Status status =
      PostgresError(pqxx::sql_error("password s3cret rejected\n", "", "28P01"),
                    "failed to connect", "s3cret");
  EXPECT_FALSE(absl::StrContains(status.message(), "s3cret"));
  EXPECT_TRUE(absl::StrContains(status.message(), "***"));
  EXPECT_TRUE(absl::StrContains(status.message(), "SQLSTATE 28P01"));
  EXPECT_TRUE(absl::StartsWith(status.message(), "failed to connect: "));
}

TEST(PostgresUrlTest, PasswordIsFoundAndRedacted) {
  EXPECT_EQ(PasswordOfUrl("postgresql://ann:pw@db:5432/x"), "pw");
  EXPECT_EQ(PasswordOfUrl("postgresql://ann@db/x"), "");
  EXPECT_EQ(PasswordOfUrl("postgresql://db/x"), "");
  EXPECT_EQ(RedactUrl("postgresql://ann:pw@db:5432/x"),
            "postgresql://ann:***@db:5432/x");
  EXPECT_EQ(RedactUrl("postgresql://db/x"), "postgresql://db/x");
}

}  // namespace
}  // namespace tenantry::storage
