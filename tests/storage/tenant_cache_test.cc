#include "storage/tenant_cache.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "storage/migrations.h"
#include "storage/sqlite.h"
#include "storage/tenant_database.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {
namespace {

using ::tenantry::testing::TempDir;

class TenantCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<TenantCache> NewCache(size_t capacity) {
    TenantCache::Options options;
    options.data_dir = directory_.path();
    options.capacity = capacity;
    return std::make_unique<TenantCache>(options);
  }

  void CreateTenants(const std::vector<std::string>& ids) {
    for (const std::string& id : ids) {
      ASSERT_TRUE(CreateTenantDatabaseFile(directory_.path(), id).ok()) << id;
    }
  }

  TempDir directory_;
};

TEST_F(TenantCacheTest, ReturnsSameDatabaseWhileCached) {
  CreateTenants({"alpha"});
  auto cache = NewCache(2);
  auto first = cache->Get("alpha");
  auto second = cache->Get("alpha");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ((*first)->tenant_id(), "alpha");
  EXPECT_EQ(cache->stats().misses, 1);
  EXPECT_EQ(cache->stats().hits, 1);
}

TEST_F(TenantCacheTest, EvictsLeastRecentlyUsedAtLimitOfTwo) {
  CreateTenants({"alpha", "beta", "gamma"});
  auto cache = NewCache(2);
  auto alpha = cache->Get("alpha");
  ASSERT_TRUE(alpha.ok());
  TenantDatabase* first_alpha = alpha->get();
  ASSERT_TRUE(cache->Get("beta").ok());
  // Touch alpha so that beta becomes the least recently used.
  ASSERT_TRUE(cache->Get("alpha").ok());
  ASSERT_TRUE(cache->Get("gamma").ok());

  EXPECT_EQ(cache->size(), 2u);
  EXPECT_EQ(cache->stats().evictions, 1);
  // alpha stayed cached: the same object comes back without a miss.
  const int64_t misses_before = cache->stats().misses;
  auto alpha_again = cache->Get("alpha");
  ASSERT_TRUE(alpha_again.ok());
  EXPECT_EQ(alpha_again->get(), first_alpha);
  EXPECT_EQ(cache->stats().misses, misses_before);
  // beta was evicted, so getting it is a miss that evicts gamma.
  ASSERT_TRUE(cache->Get("beta").ok());
  EXPECT_EQ(cache->stats().misses, misses_before + 1);
  EXPECT_EQ(cache->stats().evictions, 2);
  EXPECT_EQ(cache->size(), 2u);
}

TEST_F(TenantCacheTest, EvictedDatabaseStaysUsableByHolder) {
  CreateTenants({"alpha", "beta", "gamma"});
  auto cache = NewCache(1);
  auto alpha = cache->Get("alpha");
  ASSERT_TRUE(alpha.ok());
  ASSERT_TRUE(cache->Get("beta").ok());
  ASSERT_TRUE(cache->Get("gamma").ok());
  EXPECT_EQ(cache->size(), 1u);
  auto health = CheckDatabaseHealth(**alpha);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->quick_check, "ok");
}

TEST_F(TenantCacheTest, MissingDatabaseIsNotFoundAndNotCreated) {
  auto cache = NewCache(2);
  auto missing = cache->Get("ghost");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(directory_.List().empty());
  EXPECT_EQ(cache->size(), 0u);
}

TEST_F(TenantCacheTest, DatabaseBehindLatestMigrationIsRejected) {
  ASSERT_TRUE(CreateDirectory(directory_.path() + "/tenants").ok());
  {
    SqliteConnection::Options options;
    options.create_if_missing = true;
    auto connection = SqliteConnection::Open(
        TenantDatabasePath(directory_.path(), "old"), options);
    ASSERT_TRUE(connection.ok());
    SqliteMigrationBackend backend(connection->get());
    ASSERT_TRUE(ApplyMigrations(backend, {TenantMigrations().front()}).ok());
  }
  auto cache = NewCache(2);
  auto old = cache->Get("old");
  EXPECT_EQ(old.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(old.status().message(),
                                "tenantctl migrate tenants --tenant=old"))
      << old.status();
}

TEST_F(TenantCacheTest, EvictDropsEntry) {
  CreateTenants({"alpha"});
  auto cache = NewCache(2);
  ASSERT_TRUE(cache->Get("alpha").ok());
  cache->Evict("alpha");
  EXPECT_EQ(cache->size(), 0u);
  cache->Evict("never-cached");
  EXPECT_EQ(cache->size(), 0u);
}

TEST_F(TenantCacheTest, ConcurrentGetsStayWithinCapacity) {
  const std::vector<std::string> ids = {"t1", "t2", "t3", "t4"};
  CreateTenants(ids);
  auto cache = NewCache(2);
  constexpr int kThreads = 8;
  constexpr int kGetsPerThread = 200;
  std::atomic<int> failures{0};
  std::atomic<int> wrong_tenant{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kGetsPerThread; ++i) {
        const std::string& id = ids[(t + i) % ids.size()];
        auto database = cache->Get(id);
        if (!database.ok()) {
          ++failures;
        } else if ((*database)->tenant_id() != id) {
          ++wrong_tenant;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wrong_tenant.load(), 0);
  EXPECT_LE(cache->size(), 2u);
  const TenantCache::Stats stats = cache->stats();
  EXPECT_EQ(stats.hits + stats.misses, kThreads * kGetsPerThread);
}

TEST_F(TenantCacheTest, OpenRecordsVersionOfOlderDatabase) {
  CreateTenants({"alpha"});
  const std::string path = TenantDatabasePath(directory_.path(), "alpha");
  {
    // A database made before migrations set user_version.
    auto connection = SqliteConnection::Open(path, {});
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE((*connection)->ExecuteScript("PRAGMA user_version = 0").ok());
  }

  auto database = NewCache(2)->Get("alpha");

  ASSERT_TRUE(database.ok()) << database.status();
  auto connection = SqliteConnection::Open(path, {});
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto statement = (*connection)->Prepare("PRAGMA user_version");
  ASSERT_TRUE(statement.ok()) << statement.status();
  StatementLease query(*statement);
  ASSERT_TRUE(query->Step().value_or(false));
  int64_t latest = 0;
  for (const Migration& migration : TenantMigrations()) {
    latest = std::max(latest, migration.version);
  }
  EXPECT_EQ(query->ColumnInt(0), latest);
}

// `tenantctl purge` and `tenantctl restore` replace a tenant's file from
// another process; the cache must then stop serving the old file.
TEST_F(TenantCacheTest, EvictsDatabaseWhoseFileWasReplaced) {
  CreateTenants({"alpha"});
  auto cache = NewCache(2);
  auto before = cache->Get("alpha");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_TRUE((*before)->IsFileAt());

  // The file is unchanged: the same database stays cached.
  cache->EvictIfFileChanged("alpha");
  auto unchanged = cache->Get("alpha");
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->get(), before->get());

  // Another complete database is renamed over the path.
  TempDir other;
  ASSERT_TRUE(CreateTenantDatabaseFile(other.path(), "alpha").ok());
  const std::string path = TenantDatabasePath(directory_.path(), "alpha");
  ASSERT_EQ(std::rename(TenantDatabasePath(other.path(), "alpha").c_str(),
                        path.c_str()),
            0);
  EXPECT_FALSE((*before)->IsFileAt());
  cache->EvictIfFileChanged("alpha");
  auto after = cache->Get("alpha");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_NE(after->get(), before->get());
  EXPECT_TRUE((*after)->IsFileAt());

  // A removed file evicts too.
  ASSERT_EQ(std::remove(path.c_str()), 0);
  cache->EvictIfFileChanged("alpha");
  EXPECT_EQ(cache->size(), 0u);
}

// A database that another process removed and put back at the same path
// has its own write-ahead log there, and closing the old connections must
// not delete it. The cache relies on SQLite's pager, which skips the
// checkpoint and the removal of the log on close when the database file
// has moved (databaseIsUnmoved in pager.c).
TEST_F(TenantCacheTest, EvictedDatabaseKeepsNewWalOfPath) {
  CreateTenants({"alpha"});
  auto cache = NewCache(2);
  auto old_database = cache->Get("alpha");
  ASSERT_TRUE(old_database.ok()) << old_database.status();
  ASSERT_TRUE((*old_database)
                  ->Write([](SqliteConnection& connection) {
                    return connection.ExecuteScript(
                        "CREATE TABLE notes (text TEXT)");
                  })
                  .ok());
  const std::string path = TenantDatabasePath(directory_.path(), "alpha");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::remove((path + suffix).c_str());
  }
  ASSERT_TRUE(CreateTenantDatabaseFile(directory_.path(), "alpha").ok());
  auto new_connection =
      SqliteConnection::Open(path, SqliteConnection::Options());
  ASSERT_TRUE(new_connection.ok()) << new_connection.status();
  ASSERT_TRUE(
      (*new_connection)->ExecuteScript("CREATE TABLE fresh (text TEXT)").ok());
  ASSERT_TRUE(std::filesystem::exists(path + "-wal"));

  cache->EvictIfFileChanged("alpha");
  *old_database = nullptr;

  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
  EXPECT_TRUE(std::filesystem::exists(path + "-shm"));
  EXPECT_TRUE((*new_connection)->ExecuteScript("SELECT * FROM fresh").ok());
}

}  // namespace
}  // namespace tenantry::storage
