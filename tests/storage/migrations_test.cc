#include "storage/migrations.h"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/sqlite.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {
namespace {

using ::tenantry::testing::TempDir;

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteConnection::Options options;
    options.create_if_missing = true;
    auto connection =
        SqliteConnection::Open(directory_.path() + "/test.db", options);
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = *std::move(connection);
    backend_ = std::make_unique<SqliteMigrationBackend>(connection_.get());
  }

  // Returns whether a table named `table` exists.
  bool TableExists(const std::string& table) {
    auto statement = connection_->Prepare(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    EXPECT_TRUE(statement.ok()) << statement.status();
    StatementLease query(*statement);
    query->BindAll(table);
    auto has_row = query->Step();
    return has_row.ok() && *has_row;
  }

  TempDir directory_;
  std::unique_ptr<SqliteConnection> connection_;
  std::unique_ptr<SqliteMigrationBackend> backend_;
};

const Migration kFirst{1, "0001_first.up.sql", "CREATE TABLE first (a);"};
const Migration kSecond{2, "0002_second.up.sql", "CREATE TABLE second (b);"};
const Migration kThird{3, "0003_third.up.sql", "CREATE TABLE third (c);"};

TEST_F(MigrationsTest, AppliesAllTenantMigrationsToNewDatabase) {
  auto outcome = ApplyMigrations(*backend_, TenantMigrations());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->version_before, 0);
  EXPECT_EQ(outcome->version_after, TenantMigrations().back().version);
  EXPECT_EQ(outcome->applied.size(), TenantMigrations().size());
  EXPECT_TRUE(TableExists("profiles"));
  EXPECT_TRUE(TableExists("posts"));
  EXPECT_TRUE(TableExists("documents"));
}

TEST_F(MigrationsTest, SecondRunAppliesNothing) {
  ASSERT_TRUE(ApplyMigrations(*backend_, SharedMigrations()).ok());
  auto outcome = ApplyMigrations(*backend_, SharedMigrations());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->applied.empty());
  EXPECT_EQ(outcome->version_before, outcome->version_after);
}

TEST_F(MigrationsTest, EmbeddedMigrationsAreNumberedFromOne) {
  for (const auto* track : {&SharedMigrations(), &TenantMigrations()}) {
    ASSERT_FALSE(track->empty());
    for (size_t i = 0; i < track->size(); ++i) {
      EXPECT_EQ((*track)[i].version, static_cast<int64_t>(i + 1))
          << (*track)[i].name;
    }
  }
}

TEST_F(MigrationsTest, ChangedChecksumNamesTheFile) {
  ASSERT_TRUE(ApplyMigrations(*backend_, {kFirst}).ok());
  Migration edited = kFirst;
  edited.sql = "CREATE TABLE first (a, extra);";

  auto status = CheckMigrations(*backend_, {edited});
  EXPECT_EQ(status.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(status.status().message(), kFirst.name))
      << status.status();
  EXPECT_EQ(ApplyMigrations(*backend_, {edited}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(MigrationsTest, UnknownAppliedVersionIsRejected) {
  ASSERT_TRUE(ApplyMigrations(*backend_, {kFirst, kSecond}).ok());
  auto status = CheckMigrations(*backend_, {kFirst});
  EXPECT_EQ(status.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(status.status().message(), kSecond.name));
}

TEST_F(MigrationsTest, MigrationBelowAppliedVersionIsRejected) {
  ASSERT_TRUE(ApplyMigrations(*backend_, {kFirst, kThird}).ok());
  auto status = CheckMigrations(*backend_, {kFirst, kSecond, kThird});
  EXPECT_EQ(status.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(status.status().message(), kSecond.name));
}

TEST_F(MigrationsTest, FailedMigrationLeavesNoTrace) {
  const Migration broken{
      2, "0002_broken.up.sql",
      "CREATE TABLE half (x); INSERT INTO missing VALUES (1);"};
  auto outcome = ApplyMigrations(*backend_, {kFirst, broken, kThird});
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), broken.name))
      << outcome.status();
  EXPECT_FALSE(TableExists("half"));
  EXPECT_FALSE(TableExists("third"));

  auto status = CheckMigrations(*backend_, {kFirst, broken, kThird});
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->current_version, 1);
  EXPECT_EQ(status->latest_version, 3);
}

TEST_F(MigrationsTest, AllPendingModeRollsBackEveryMigration) {
  ASSERT_TRUE(ApplyMigrations(*backend_, {kFirst}).ok());
  const Migration broken{3, "0003_broken.up.sql",
                         "INSERT INTO missing VALUES (1);"};
  auto outcome = ApplyMigrations(*backend_, {kFirst, kSecond, broken},
                                 MigrationAtomicity::kAllPending);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), broken.name))
      << outcome.status();
  // kSecond ran before the failure but is rolled back with it.
  EXPECT_FALSE(TableExists("second"));
  EXPECT_EQ(*AppliedVersion(*backend_), 1);
}

TEST_F(MigrationsTest, AllPendingModeAppliesEverything) {
  auto outcome = ApplyMigrations(*backend_, {kFirst, kSecond, kThird},
                                 MigrationAtomicity::kAllPending);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->version_after, 3);
  EXPECT_EQ(outcome->applied.size(), 3u);
  EXPECT_TRUE(TableExists("third"));
}

TEST_F(MigrationsTest, ChecksumIsStableAndSensitive) {
  EXPECT_EQ(MigrationChecksum("SELECT 1;"), MigrationChecksum("SELECT 1;"));
  EXPECT_NE(MigrationChecksum("SELECT 1;"), MigrationChecksum("SELECT 2;"));
  EXPECT_EQ(MigrationChecksum("").size(), 16u);
}

TEST_F(MigrationsTest, LoadsDirectoryInVersionOrder) {
  TempDir migrations;
  std::ofstream(migrations.path() + "/0002_second.up.sql") << kSecond.sql;
  std::ofstream(migrations.path() + "/0001_first.up.sql") << kFirst.sql;
  std::ofstream(migrations.path() + "/0001_first.down.sql") << "DROP TABLE a;";

  auto loaded = LoadMigrationsFromDirectory(migrations.path());

  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ((*loaded)[0].version, 1);
  EXPECT_EQ((*loaded)[0].name, kFirst.name);
  EXPECT_EQ((*loaded)[0].sql, kFirst.sql);
  EXPECT_EQ((*loaded)[1].version, 2);
  EXPECT_EQ((*loaded)[1].name, kSecond.name);
}

TEST_F(MigrationsTest, DirectoryWithoutMigrationsIsRejected) {
  TempDir empty;
  TempDir only_other_files;
  std::ofstream(only_other_files.path() + "/0001_first.down.sql")
      << "DROP TABLE a;";
  std::ofstream(only_other_files.path() + "/README.md") << "Migrations.";

  for (const TempDir* directory : {&empty, &only_other_files}) {
    auto loaded = LoadMigrationsFromDirectory(directory->path());

    ASSERT_FALSE(loaded.ok()) << directory->path();
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(loaded.status().message(),
              directory->path() +
                  " has no migration files named NNNN_description.up.sql");
  }
}

TEST_F(MigrationsTest, MissingDirectoryIsNotFound) {
  auto loaded = LoadMigrationsFromDirectory(directory_.path() + "/missing");
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tenantry::storage
