// Runs `tenantctl migrate tenants` with a new migration that fails on one
// tenant's data, and checks that the other tenants are migrated while the
// failing one stays exactly at its previous version and usable.

#include <stdio.h>
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "storage/ids.h"
#include "storage/migrations.h"
#include "storage/profile_store.h"
#include "storage/shared_store.h"
#include "storage/tenant_cache.h"
#include "storage/tenant_database.h"
#include "storage/tenant_registry.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {
namespace {

using ::tenantry::testing::TempDir;

// A migration, one past the built-in ones, that cannot apply while two
// profiles share a full name. It adds a column first, so a partial
// application would be visible.
int64_t FailingMigrationVersion() {
  return TenantMigrations().back().version + 1;
}

std::string FailingMigrationName() {
  return absl::StrFormat("%04d_add_nickname_and_unique_full_name.up.sql",
                         FailingMigrationVersion());
}

constexpr char kFailingMigrationSql[] =
    "ALTER TABLE profiles ADD COLUMN nickname TEXT NOT NULL DEFAULT '';\n"
    "CREATE UNIQUE INDEX profiles_by_full_name ON profiles (full_name);\n";

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t read = 0;
  while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, read);
  }
  const int status = pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

class MigrateTenantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenSharedStore("sqlite:" + data_.path() + "/shared.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->Migrate().ok());
    TenantCache::Options options;
    options.data_dir = data_.path();
    cache_ = std::make_unique<TenantCache>(options);
    registry_ = std::make_unique<TenantRegistry>(store_.get(), cache_.get());
  }

  void CreateTenantWithProfiles(const std::string& id,
                                const std::vector<std::string>& names) {
    TenantRecord tenant;
    tenant.id = id;
    tenant.display_name = id;
    ASSERT_TRUE(registry_->Create(tenant).ok());
    auto database = registry_->OpenDatabase(id);
    ASSERT_TRUE(database.ok()) << database.status();
    for (const std::string& name : names) {
      ProfileRecord profile;
      profile.user_id = NewResourceId();
      profile.full_name = name;
      ASSERT_TRUE(ProfileStore(database->get()).Create(profile).ok());
    }
  }

  // Writes the built-in tenant migrations and the failing one as files.
  void WriteMigrations() {
    for (const Migration& migration : TenantMigrations()) {
      std::ofstream(migrations_.path() + "/" + migration.name) << migration.sql;
    }
    std::ofstream(migrations_.path() + "/" + FailingMigrationName())
        << kFailingMigrationSql;
  }

  bool HasNicknameColumn(const std::string& tenant_id) {
    auto connection =
        SqliteConnection::Open(TenantDatabasePath(data_.path(), tenant_id),
                               SqliteConnection::Options());
    EXPECT_TRUE(connection.ok());
    return (*connection)->ExecuteScript("SELECT nickname FROM profiles").ok();
  }

  TempDir data_;
  TempDir migrations_;
  std::unique_ptr<SharedStore> store_;
  std::unique_ptr<TenantCache> cache_;
  std::unique_ptr<TenantRegistry> registry_;
};

TEST_F(MigrateTenantsTest, FailingTenantStaysAtPreviousVersion) {
  const int64_t built_in_version = TenantMigrations().back().version;
  CreateTenantWithProfiles("alpha", {"Ann", "Bob"});
  CreateTenantWithProfiles("bravo", {"Cid"});
  CreateTenantWithProfiles("charlie", {"Same Name", "Same Name"});
  // Close the cached connections, as a stopped server would.
  cache_ = nullptr;
  registry_ = nullptr;
  WriteMigrations();

  const CommandResult result = RunCommand(absl::StrCat(
      "tools/tenantctl --data_dir=", data_.path(),
      " --tenant_migrations_dir=", migrations_.path(), " migrate tenants"));

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(
      result.output, absl::StrCat("tenant alpha: version ", built_in_version,
                                  " -> ", FailingMigrationVersion(), " ok")))
      << result.output;
  EXPECT_TRUE(absl::StrContains(
      result.output, absl::StrCat("tenant bravo: version ", built_in_version,
                                  " -> ", FailingMigrationVersion(), " ok")))
      << result.output;
  EXPECT_TRUE(absl::StrContains(
      result.output, absl::StrCat("tenant charlie: version ", built_in_version,
                                  " -> ", built_in_version, " FAILED")))
      << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, FailingMigrationName()))
      << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "2 of 3 tenants migrated"))
      << result.output;

  EXPECT_EQ(*GetTenantAppliedVersion(TenantDatabasePath(data_.path(), "alpha")),
            FailingMigrationVersion());
  EXPECT_EQ(*GetTenantAppliedVersion(TenantDatabasePath(data_.path(), "bravo")),
            FailingMigrationVersion());
  EXPECT_TRUE(HasNicknameColumn("alpha"));
  // Nothing of the failed migration remains in charlie: not even the
  // column its first statement added.
  EXPECT_EQ(
      *GetTenantAppliedVersion(TenantDatabasePath(data_.path(), "charlie")),
      built_in_version);
  EXPECT_FALSE(HasNicknameColumn("charlie"));

  // charlie still opens with the built-in schema and keeps its rows.
  TenantCache::Options options;
  options.data_dir = data_.path();
  TenantCache cache(options);
  auto charlie = cache.Get("charlie");
  ASSERT_TRUE(charlie.ok()) << charlie.status();
  auto profiles = ProfileStore(charlie->get()).List({}, PageRequest{});
  ASSERT_TRUE(profiles.ok()) << profiles.status();
  EXPECT_EQ(profiles->items.size(), 2u);
  auto health = CheckDatabaseHealth(**charlie);
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->quick_check, "ok");
}

TEST_F(MigrateTenantsTest, StatusFlagsTenantsBehind) {
  CreateTenantWithProfiles("alpha", {"Ann"});
  cache_ = nullptr;
  registry_ = nullptr;
  WriteMigrations();

  const CommandResult result = RunCommand(
      absl::StrCat("tools/tenantctl --data_dir=", data_.path(),
                   " --tenant_migrations_dir=", migrations_.path(), " status"));

  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(
      result.output,
      absl::StrCat("of ", FailingMigrationVersion(), "  BEHIND")))
      << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "1 tenants, 1 behind"))
      << result.output;
  // The hint repeats the flags that select the stores and migrations, so
  // it can be run as printed.
  EXPECT_TRUE(absl::StrContains(
      result.output,
      absl::StrCat("BEHIND: run tenantctl --data_dir=", data_.path(),
                   " --tenant_migrations_dir=", migrations_.path(),
                   " migrate tenants --tenant=alpha")))
      << result.output;
}

TEST_F(MigrateTenantsTest, MalformedMigrationFileIsRejected) {
  std::ofstream(migrations_.path() + "/add-things.up.sql") << "SELECT 1;";
  const CommandResult result = RunCommand(absl::StrCat(
      "tools/tenantctl --data_dir=", data_.path(),
      " --tenant_migrations_dir=", migrations_.path(), " migrate tenants"));
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output, "add-things.up.sql"))
      << result.output;
}

TEST_F(MigrateTenantsTest, EmptyMigrationsDirectoryIsRejected) {
  CreateTenantWithProfiles("alpha", {"Ann"});
  cache_ = nullptr;
  registry_ = nullptr;
  // A file that is not an up migration does not count as one.
  std::ofstream(migrations_.path() + "/0001_first.down.sql") << "SELECT 1;";
  const std::string expected_message =
      absl::StrCat(migrations_.path(),
                   " has no migration files named NNNN_description.up.sql");

  for (const char* command : {"migrate tenants", "status"}) {
    const CommandResult result = RunCommand(absl::StrCat(
        "tools/tenantctl --data_dir=", data_.path(),
        " --tenant_migrations_dir=", migrations_.path(), " ", command));
    EXPECT_EQ(result.exit_code, 1) << command << ": " << result.output;
    EXPECT_TRUE(absl::StrContains(result.output, expected_message))
        << command << ": " << result.output;
    EXPECT_FALSE(absl::StrContains(result.output, "newer binary"))
        << command << ": " << result.output;
  }
  EXPECT_EQ(*GetTenantAppliedVersion(TenantDatabasePath(data_.path(), "alpha")),
            TenantMigrations().back().version);
}

}  // namespace
}  // namespace tenantry::storage
