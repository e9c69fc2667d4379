#include "storage/migrations.h"

#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
  EXPECT_EQ((*loaded)[0].down_sql, "DROP TABLE a;");
  EXPECT_EQ((*loaded)[1].version, 2);
  EXPECT_EQ((*loaded)[1].name, kSecond.name);
  EXPECT_EQ((*loaded)[1].down_sql, std::nullopt);
}

TEST_F(MigrationsTest, DownFileWithoutUpFileIsRejected) {
  TempDir migrations;
  std::ofstream(migrations.path() + "/0001_first.up.sql") << kFirst.sql;
  std::ofstream(migrations.path() + "/0002_second.down.sql") << "DROP TABLE b;";

  auto loaded = LoadMigrationsFromDirectory(migrations.path());

  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(loaded.status().message(),
                                migrations.path() + "/0002_second.down.sql"))
      << loaded.status();
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

// Migrations with down files, for the revert tests.
Migration WithDown(Migration migration, std::string down_sql) {
  migration.down_sql = std::move(down_sql);
  return migration;
}

const Migration kFirstWithDown = WithDown(kFirst, "DROP TABLE first;");
const Migration kSecondWithDown = WithDown(kSecond, "DROP TABLE second;");
const Migration kThirdWithDown = WithDown(kThird, "DROP TABLE third;");

// Returns the database's PRAGMA user_version, or -1 if it cannot be read.
int64_t UserVersion(SqliteConnection& connection) {
  auto statement = connection.Prepare("PRAGMA user_version");
  if (!statement.ok()) return -1;
  StatementLease query(*statement);
  auto has_row = query->Step();
  if (!has_row.ok() || !*has_row) return -1;
  return query->ColumnInt(0);
}

// Returns one line per schema object and per table and index column of
// the database, from SQLite's pragmas rather than the stored CREATE text,
// which ALTER TABLE rewrites. Leaves out the migration history.
std::vector<std::string> DescribeSchema(SqliteConnection& connection) {
  std::vector<std::string> lines;
  std::vector<std::pair<std::string, std::string>> objects;
  {
    auto statement = connection.Prepare(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "AND name != 'schema_migrations' ORDER BY type, name");
    EXPECT_TRUE(statement.ok()) << statement.status();
    StatementLease query(*statement);
    while (*query->Step()) {
      objects.emplace_back(query->ColumnText(0), query->ColumnText(1));
    }
  }
  for (const auto& [type, name] : objects) {
    // Triggers and views have no pragma rows, so they count by name.
    lines.push_back(absl::StrCat(type, " ", name));
    const std::string pragma = type == "table" ? "table_xinfo" : "index_xinfo";
    auto statement = connection.Prepare(
        absl::StrCat("SELECT * FROM pragma_", pragma, "('", name, "')"));
    EXPECT_TRUE(statement.ok()) << statement.status();
    StatementLease query(*statement);
    while (*query->Step()) {
      std::string line = absl::StrCat(type, " ", name, ":");
      // The first six columns of both pragmas describe the column itself.
      for (int column = 0; column < 6; ++column) {
        absl::StrAppend(&line, " ", query->ColumnText(column));
      }
      lines.push_back(line);
    }
    if (type == "table") {
      auto indexes = connection.Prepare(absl::StrCat(
          "SELECT name, \"unique\", origin FROM pragma_index_list('", name,
          "') ORDER BY name"));
      EXPECT_TRUE(indexes.ok()) << indexes.status();
      StatementLease index_query(*indexes);
      while (*index_query->Step()) {
        lines.push_back(absl::StrCat("index of ", name, ": ",
                                     index_query->ColumnText(0),
                                     " unique=", index_query->ColumnText(1),
                                     " origin=", index_query->ColumnText(2)));
      }
    }
  }
  return lines;
}

TEST_F(MigrationsTest, RevertUndoesDownToTarget) {
  const std::vector<Migration> migrations = {kFirstWithDown, kSecondWithDown,
                                             kThirdWithDown};
  ASSERT_TRUE(ApplyMigrations(*backend_, migrations).ok());
  std::vector<std::string> reported;

  auto outcome = RevertMigrations(*backend_, migrations, 1,
                                  [&reported](const Migration& migration) {
                                    reported.push_back(migration.name);
                                  });

  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->version_before, 3);
  EXPECT_EQ(outcome->version_after, 1);
  EXPECT_EQ(outcome->applied,
            (std::vector<std::string>{"0003_third.down.sql",
                                      "0002_second.down.sql"}));
  EXPECT_EQ(reported, (std::vector<std::string>{kThird.name, kSecond.name}));
  EXPECT_TRUE(TableExists("first"));
  EXPECT_FALSE(TableExists("second"));
  EXPECT_FALSE(TableExists("third"));
  EXPECT_EQ(*AppliedVersion(*backend_), 1);
  EXPECT_EQ(UserVersion(*connection_), 1);
}

TEST_F(MigrationsTest, RevertToCurrentVersionChangesNothing) {
  const std::vector<Migration> migrations = {kFirstWithDown, kSecondWithDown};
  ASSERT_TRUE(ApplyMigrations(*backend_, migrations).ok());

  auto outcome = RevertMigrations(*backend_, migrations, 2);

  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(outcome->applied.empty());
  EXPECT_EQ(outcome->version_after, 2);
  EXPECT_TRUE(TableExists("second"));
}

TEST_F(MigrationsTest, RevertWithMissingDownFileChangesNothing) {
  const std::vector<Migration> migrations = {kFirstWithDown, kSecond,
                                             kThirdWithDown};
  ASSERT_TRUE(ApplyMigrations(*backend_, migrations).ok());

  auto outcome = RevertMigrations(*backend_, migrations, 0);

  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(outcome.status().message(),
                                "0002_second.down.sql is missing"))
      << outcome.status();
  // 0003 has a down file and comes first, but nothing may run until every
  // needed down file is known to exist.
  EXPECT_TRUE(TableExists("third"));
  EXPECT_EQ(*AppliedVersion(*backend_), 3);
  EXPECT_EQ(UserVersion(*connection_), 3);
}

TEST_F(MigrationsTest, FailedRevertKeepsEarlierSteps) {
  const std::vector<Migration> migrations = {
      kFirstWithDown, WithDown(kSecond, "DROP TABLE missing;"), kThirdWithDown};
  ASSERT_TRUE(ApplyMigrations(*backend_, migrations).ok());

  auto outcome = RevertMigrations(*backend_, migrations, 0);

  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(outcome.status().message(),
                                "0002_second.down.sql failed"))
      << outcome.status();
  EXPECT_TRUE(
      absl::StrContains(outcome.status().message(), "stays at version 2"))
      << outcome.status();
  EXPECT_FALSE(TableExists("third"));
  EXPECT_TRUE(TableExists("second"));
  EXPECT_EQ(*AppliedVersion(*backend_), 2);
  EXPECT_EQ(UserVersion(*connection_), 2);
}

TEST_F(MigrationsTest, RevertRejectsChangedUpFile) {
  ASSERT_TRUE(ApplyMigrations(*backend_, {kFirstWithDown}).ok());
  Migration edited = kFirstWithDown;
  edited.sql = "CREATE TABLE first (a, extra);";

  auto outcome = RevertMigrations(*backend_, {edited}, 0);

  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(TableExists("first"));
}

TEST_F(MigrationsTest, RevertRejectsNegativeTarget) {
  ASSERT_TRUE(ApplyMigrations(*backend_, {kFirstWithDown}).ok());
  auto outcome = RevertMigrations(*backend_, {kFirstWithDown}, -1);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(TableExists("first"));
}

TEST_F(MigrationsTest, RevertRejectsTargetAboveLatest) {
  const std::vector<Migration> migrations = {kFirstWithDown, kSecondWithDown};
  ASSERT_TRUE(ApplyMigrations(*backend_, migrations).ok());

  auto outcome = RevertMigrations(*backend_, migrations, 9);

  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(outcome.status().message(),
                                "the target version 9 is above 2"))
      << outcome.status();
  EXPECT_EQ(*AppliedVersion(*backend_), 2);
}

TEST_F(MigrationsTest, DownFileKeepsChecksum) {
  ASSERT_TRUE(ApplyMigrations(*backend_, {kFirst}).ok());
  auto status = CheckMigrations(*backend_, {kFirstWithDown});
  EXPECT_TRUE(status.ok()) << status.status();
}

TEST_F(MigrationsTest, EmbeddedMigrationsHaveDownFiles) {
  for (const auto* track : {&SharedMigrations(), &TenantMigrations()}) {
    for (const Migration& migration : *track) {
      EXPECT_TRUE(migration.down_sql.has_value()) << DownFileName(migration);
    }
  }
}

// For every version V of each embedded track, a database migrated to the
// latest version and reverted to V has the schema of one migrated only up
// to V, and migrating it up again restores the latest schema.
TEST_F(MigrationsTest, EmbeddedDownFilesUndoTheirUpFiles) {
  for (const auto* track : {&SharedMigrations(), &TenantMigrations()}) {
    SqliteConnection::Options options;
    options.create_if_missing = true;
    TempDir directory;
    auto latest_connection =
        SqliteConnection::Open(directory.path() + "/latest.db", options);
    ASSERT_TRUE(latest_connection.ok()) << latest_connection.status();
    SqliteMigrationBackend latest_backend(latest_connection->get());
    ASSERT_TRUE(ApplyMigrations(latest_backend, *track).ok());
    const std::vector<std::string> latest_schema =
        DescribeSchema(**latest_connection);

    for (int64_t target = static_cast<int64_t>(track->size()) - 1; target >= 0;
         --target) {
      const std::string name = track->at(target).name;
      auto reverted = RevertMigrations(latest_backend, *track, target);
      ASSERT_TRUE(reverted.ok()) << reverted.status();
      EXPECT_EQ(UserVersion(**latest_connection), target) << name;

      auto expected_connection = SqliteConnection::Open(
          absl::StrCat(directory.path(), "/up_to_", target, ".db"), options);
      ASSERT_TRUE(expected_connection.ok()) << expected_connection.status();
      SqliteMigrationBackend expected_backend(expected_connection->get());
      const std::vector<Migration> prefix(track->begin(),
                                          track->begin() + target);
      ASSERT_TRUE(ApplyMigrations(expected_backend, prefix).ok());
      EXPECT_EQ(DescribeSchema(**latest_connection),
                DescribeSchema(**expected_connection))
          << "reverted to version " << target << ", below " << name;
    }

    auto again = ApplyMigrations(latest_backend, *track);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->version_after, static_cast<int64_t>(track->size()));
    EXPECT_EQ(DescribeSchema(**latest_connection), latest_schema);
  }
}

}  // namespace
}  // namespace tenantry::storage
