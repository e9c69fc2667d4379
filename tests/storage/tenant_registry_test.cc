#include "storage/tenant_registry.h"

#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/tenant_database.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {
namespace {

using ::tenantry::testing::TempDir;

class TenantRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store =
        OpenSharedStore("sqlite:" + shared_directory_.path() + "/shared.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ASSERT_TRUE(store_->Migrate().ok());
    TenantCache::Options options;
    options.data_dir = data_directory_.path();
    options.capacity = 2;
    cache_ = std::make_unique<TenantCache>(options);
    registry_ = std::make_unique<TenantRegistry>(store_.get(), cache_.get());
  }

  TenantRecord NewTenant(const std::string& id) {
    TenantRecord tenant;
    tenant.id = id;
    tenant.display_name = "Some tenant";
    return tenant;
  }

  bool FileExists(const std::string& path) {
    return std::ifstream(path).good();
  }

  TempDir shared_directory_;
  TempDir data_directory_;
  std::unique_ptr<SharedStore> store_;
  std::unique_ptr<TenantCache> cache_;
  std::unique_ptr<TenantRegistry> registry_;
};

TEST_F(TenantRegistryTest, CreateMakesMigratedDatabase) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  EXPECT_EQ(data_directory_.List(),
            (std::vector<std::string>{"tenants", "tenants/acme.db"}));
  auto database = registry_->OpenDatabase("acme");
  ASSERT_TRUE(database.ok()) << database.status();
  auto health = CheckDatabaseHealth(**database);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->schema_version, TenantMigrations().back().version);
  EXPECT_EQ(health->quick_check, "ok");
}

TEST_F(TenantRegistryTest, CreateInUnwritableDirectoryLeavesNoRow) {
  // A regular file where the tenants directory belongs makes the create
  // fail even for root, who ignores permission bits.
  std::ofstream(data_directory_.path() + "/tenants") << "not a directory";
  auto created = registry_->Create(NewTenant("acme"));
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(created.status().message(), "tenants"))
      << created.status();
  EXPECT_EQ(store_->GetTenant("acme").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(data_directory_.List(), (std::vector<std::string>{"tenants"}));
}

TEST_F(TenantRegistryTest, DuplicateCreateKeepsExistingData) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  auto database = registry_->OpenDatabase("acme");
  ASSERT_TRUE(database.ok());
  ASSERT_TRUE((*database)
                  ->Run([](SqliteConnection& connection) {
                    return connection.ExecuteScript(
                        "CREATE TABLE marker (x); INSERT INTO marker "
                        "VALUES (1);");
                  })
                  .ok());

  auto duplicate = registry_->Create(NewTenant("acme"));
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  auto count = (*database)->Run([](SqliteConnection& connection) {
    return connection.ExecuteScript("SELECT x FROM marker");
  });
  EXPECT_TRUE(count.ok()) << count;
}

TEST_F(TenantRegistryTest, CreateOverUnregisteredFileIsRejected) {
  ASSERT_TRUE(CreateDirectory(data_directory_.path() + "/tenants").ok());
  const std::string path = TenantDatabasePath(data_directory_.path(), "acme");
  std::ofstream(path) << "another registry's data";

  auto created = registry_->Create(NewTenant("acme"));

  EXPECT_EQ(created.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(created.status().message(), "tenants/acme.db"))
      << created.status();
  EXPECT_FALSE(
      absl::StrContains(created.status().message(), data_directory_.path()))
      << created.status();
  std::ifstream file(path);
  std::string contents((std::istreambuf_iterator<char>(file)),
                       std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, "another registry's data");
  EXPECT_EQ(store_->GetTenant("acme").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TenantRegistryTest, OpenAfterDeleteIsNotFound) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  ASSERT_TRUE(registry_->Delete("acme", std::nullopt).ok());

  auto database = registry_->OpenDatabase("acme");

  EXPECT_EQ(database.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(TenantRegistryTest, OpenRacingDeleteIsOkOrNotFound) {
  constexpr int kRounds = 20;
  constexpr int kThreads = 4;
  std::atomic<int> other_codes{0};
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_TRUE(registry_->Create(NewTenant("victim")).ok());
    std::atomic<bool> deleted{false};
    std::vector<std::thread> readers;
    for (int t = 0; t < kThreads; ++t) {
      readers.emplace_back([&] {
        // Keep opening until the delete is done, at most 10000 times.
        for (int i = 0; i < 10000 && !deleted.load(); ++i) {
          absl::Status status = registry_->OpenDatabase("victim").status();
          if (!status.ok() && !absl::IsNotFound(status)) {
            ++other_codes;
            ADD_FAILURE() << status;
          }
        }
      });
    }
    ASSERT_TRUE(registry_->Delete("victim", std::nullopt).ok());
    deleted = true;
    for (std::thread& reader : readers) reader.join();
  }
  EXPECT_EQ(other_codes.load(), 0);
}

TEST_F(TenantRegistryTest, UnregisteredTenantMessageSaysWhatToDo) {
  auto resolved = registry_->ResolveServable("ghost");

  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(resolved.status().message(), "x-tenant-id"))
      << resolved.status();
}

TEST_F(TenantRegistryTest, MalformedIdIsRejectedWithoutFiles) {
  for (const char* id :
       {"", "..", "x/../../evil", "Acme", "/etc/passwd", "a%2Fb", "1abc"}) {
    auto created = registry_->Create(NewTenant(id));
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument)
        << id;
    EXPECT_EQ(registry_->ResolveServable(id).status().code(),
              absl::StatusCode::kInvalidArgument)
        << id;
  }
  EXPECT_TRUE(data_directory_.List().empty());
}

TEST_F(TenantRegistryTest, DeleteRemovesFilesAndRow) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  ASSERT_TRUE(registry_->OpenDatabase("acme").ok());
  ASSERT_TRUE(registry_->Delete("acme", std::nullopt).ok());
  EXPECT_EQ(data_directory_.List(), (std::vector<std::string>{"tenants"}));
  EXPECT_EQ(store_->GetTenant("acme").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(cache_->size(), 0u);
  EXPECT_EQ(registry_->Delete("acme", std::nullopt).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TenantRegistryTest, DeleteWithStaleRevisionIsAborted) {
  auto created = registry_->Create(NewTenant("acme"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(registry_->Delete("acme", created->revision + 1).code(),
            absl::StatusCode::kAborted);
  EXPECT_TRUE(FileExists(TenantDatabasePath(data_directory_.path(), "acme")));
  EXPECT_TRUE(registry_->Delete("acme", created->revision).ok());
}

TEST_F(TenantRegistryTest, RecreatedTenantStartsEmpty) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  auto database = registry_->OpenDatabase("acme");
  ASSERT_TRUE(database.ok());
  ASSERT_TRUE((*database)
                  ->Run([](SqliteConnection& connection) {
                    return connection.ExecuteScript("CREATE TABLE old (x)");
                  })
                  .ok());
  database->reset();
  ASSERT_TRUE(registry_->Delete("acme", std::nullopt).ok());
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  auto fresh = registry_->OpenDatabase("acme");
  ASSERT_TRUE(fresh.ok());
  auto query = (*fresh)->Run([](SqliteConnection& connection) {
    return connection.ExecuteScript("SELECT x FROM old");
  });
  EXPECT_EQ(query.code(), absl::StatusCode::kInternal);
}

TEST_F(TenantRegistryTest, SuspendedTenantIsNotServable) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  ASSERT_TRUE(store_
                  ->UpdateTenant("acme",
                                 [](TenantRecord& tenant) {
                                   tenant.state = TenantState::kSuspended;
                                   return absl::OkStatus();
                                 })
                  .ok());
  auto resolved = registry_->ResolveServable("acme");
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_->ResolveServable("ghost").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TenantRegistryTest, ResolveServesCachedRowWithoutStore) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  ASSERT_TRUE(registry_->ResolveServable("acme").ok());
  // A change made behind the registry's back, as another process would,
  // is not seen while the row is cached.
  ASSERT_TRUE(store_
                  ->UpdateTenant("acme",
                                 [](TenantRecord& tenant) {
                                   tenant.state = TenantState::kSuspended;
                                   return absl::OkStatus();
                                 })
                  .ok());

  EXPECT_TRUE(registry_->ResolveServable("acme").ok());
}

TEST_F(TenantRegistryTest, UpdateThroughRegistryTakesEffectAtOnce) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  ASSERT_TRUE(registry_->ResolveServable("acme").ok());

  ASSERT_TRUE(registry_
                  ->Update("acme",
                           [](TenantRecord& tenant) {
                             tenant.state = TenantState::kSuspended;
                             return absl::OkStatus();
                           })
                  .ok());

  EXPECT_EQ(registry_->ResolveServable("acme").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TenantRegistryTest, DeleteTakesEffectAtOnce) {
  ASSERT_TRUE(registry_->Create(NewTenant("acme")).ok());
  ASSERT_TRUE(registry_->ResolveServable("acme").ok());

  ASSERT_TRUE(registry_->Delete("acme", std::nullopt).ok());

  EXPECT_EQ(registry_->ResolveServable("acme").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tenantry::storage
