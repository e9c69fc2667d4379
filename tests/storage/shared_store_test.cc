#include "storage/shared_store.h"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/ids.h"
#include "storage/postgres_pool.h"
#include "storage/postgres_shared_store.h"
#include "tests/storage/postgres_test_database.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {
namespace {

using ::tenantry::testing::PostgresTestDatabase;
using ::tenantry::testing::TempDir;

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// Runs every test against each shared-store backend, on a fresh migrated
// store: a SQLite file in a temporary directory, or a new database on the
// test PostgreSQL server.
class SharedStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    std::string url = "sqlite:" + directory_.path() + "/shared.db";
    if (GetParam() == Backend::kPostgres) {
      auto database = PostgresTestDatabase::Create();
      ASSERT_TRUE(database.ok()) << database.status();
      postgres_ = *std::move(database);
      url = postgres_->url();
    }
    auto store = OpenSharedStore(url);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto migrated = store_->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.status();
  }

  TenantRecord NewTenant(const std::string& id) {
    TenantRecord tenant;
    tenant.id = id;
    tenant.display_name = absl::StrCat("Tenant ", id);
    return tenant;
  }

  UserRecord NewUser(const std::string& email) {
    UserRecord user;
    user.id = NewResourceId();
    user.email = email;
    user.display_name = "Someone";
    return user;
  }

  TempDir directory_;
  std::unique_ptr<PostgresTestDatabase> postgres_;
  std::unique_ptr<SharedStore> store_;
};

TEST_P(SharedStoreTest, CreatedTenantCanBeRead) {
  auto created = store_->CreateTenant(NewTenant("acme"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->revision, 1);
  auto read = store_->GetTenant("acme");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->display_name, "Tenant acme");
  EXPECT_EQ(read->state, TenantState::kActive);
  EXPECT_EQ(read->create_time, created->create_time);
}

TEST_P(SharedStoreTest, DuplicateTenantIsAlreadyExists) {
  ASSERT_TRUE(store_->CreateTenant(NewTenant("acme")).ok());
  auto duplicate = store_->CreateTenant(NewTenant("acme"));
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StrContains(duplicate.status().message(), "acme"));
}

TEST_P(SharedStoreTest, MissingTenantIsNotFound) {
  EXPECT_EQ(store_->GetTenant("nobody").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteTenant("nobody").code(), absl::StatusCode::kNotFound);
}

TEST_P(SharedStoreTest, ListTenantsPagesInIdOrder) {
  for (const char* id : {"delta", "alpha", "charlie", "bravo", "echo"}) {
    ASSERT_TRUE(store_->CreateTenant(NewTenant(id)).ok());
  }
  std::vector<std::string> seen;
  PageRequest page{2, ""};
  int pages = 0;
  while (pages < 10) {
    auto result = store_->ListTenants(page);
    ASSERT_TRUE(result.ok()) << result.status();
    ++pages;
    for (const TenantRecord& tenant : result->items) seen.push_back(tenant.id);
    if (!result->has_more) break;
    page.after_id = seen.back();
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"alpha", "bravo", "charlie",
                                            "delta", "echo"}));
}

TEST_P(SharedStoreTest, UpdateTenantBumpsRevision) {
  ASSERT_TRUE(store_->CreateTenant(NewTenant("acme")).ok());
  auto updated = store_->UpdateTenant("acme", [](TenantRecord& tenant) {
    tenant.state = TenantState::kSuspended;
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->revision, 2);
  EXPECT_EQ(store_->GetTenant("acme")->state, TenantState::kSuspended);
}

TEST_P(SharedStoreTest, FailedMutationWritesNothing) {
  ASSERT_TRUE(store_->CreateTenant(NewTenant("acme")).ok());
  auto updated = store_->UpdateTenant("acme", [](TenantRecord& tenant) {
    tenant.display_name = "changed";
    return absl::AbortedError("stale");
  });
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kAborted);
  auto read = store_->GetTenant("acme");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->display_name, "Tenant acme");
  EXPECT_EQ(read->revision, 1);
}

TEST_P(SharedStoreTest, DeletedTenantIsGone) {
  ASSERT_TRUE(store_->CreateTenant(NewTenant("acme")).ok());
  ASSERT_TRUE(store_->DeleteTenant("acme").ok());
  EXPECT_EQ(store_->GetTenant("acme").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(SharedStoreTest, EmailUniquenessIgnoresCase) {
  ASSERT_TRUE(store_->CreateUser(NewUser("Ann@Example.com")).ok());
  auto duplicate = store_->CreateUser(NewUser("ann@example.COM"));
  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(
      absl::StrContains(duplicate.status().message(), "ann@example.COM"));
}

TEST_P(SharedStoreTest, FindUserByEmailIgnoresCase) {
  auto created = store_->CreateUser(NewUser("Ann@Example.com"));
  ASSERT_TRUE(created.ok());
  auto found = store_->FindUserByEmail("ANN@example.com");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, created->id);
  EXPECT_EQ(found->email, "Ann@Example.com");
  EXPECT_EQ(store_->FindUserByEmail("bob@example.com").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(SharedStoreTest, UpdateUserToTakenEmailIsAlreadyExists) {
  ASSERT_TRUE(store_->CreateUser(NewUser("ann@example.com")).ok());
  auto bob = store_->CreateUser(NewUser("bob@example.com"));
  ASSERT_TRUE(bob.ok());
  auto updated = store_->UpdateUser(bob->id, [](UserRecord& user) {
    user.email = "ANN@example.com";
    return absl::OkStatus();
  });
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetUser(bob->id)->email, "bob@example.com");
}

TEST_P(SharedStoreTest, ListUsersReturnsEachUserOnce) {
  std::set<std::string> created;
  for (int i = 0; i < 25; ++i) {
    auto user = store_->CreateUser(NewUser(absl::StrCat("u", i, "@x.org")));
    ASSERT_TRUE(user.ok());
    created.insert(user->id);
  }
  std::set<std::string> seen;
  PageRequest page{7, ""};
  for (int pages = 0; pages < 10; ++pages) {
    auto result = store_->ListUsers(page);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const UserRecord& user : result->items) {
      EXPECT_TRUE(seen.insert(user.id).second) << "repeated " << user.id;
    }
    if (!result->has_more) break;
    page.after_id = result->items.back().id;
  }
  EXPECT_EQ(seen, created);
}

TEST_P(SharedStoreTest, MigrationStatusIsCurrent) {
  auto status = store_->GetMigrationStatus();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->current_version, status->latest_version);
  EXPECT_EQ(status->latest_version, SharedMigrations().back().version);
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedStoreTest,
                         ::testing::Values(Backend::kSqlite,
                                           Backend::kPostgres),
                         BackendName);

TEST(OpenSharedStoreTest, UnknownSchemeIsInvalidArgument) {
  auto store = OpenSharedStore("mysql://root:hunter2@localhost/db");
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(store.status().message(), "sqlite:"));
  EXPECT_FALSE(absl::StrContains(store.status().message(), "hunter2"));
}

TEST(PostgresSharedStoreTest, WrongPasswordIsUnavailableWithoutPassword) {
  auto database = PostgresTestDatabase::Create();
  ASSERT_TRUE(database.ok()) << database.status();
  std::string url = (*database)->url();
  const std::string password = PasswordOfUrl(url);
  ASSERT_FALSE(password.empty());
  const std::string wrong_password = "not-" + password;
  url.replace(url.find(password), password.size(), wrong_password);

  auto store = OpenSharedStore(url);
  ASSERT_TRUE(store.ok()) << store.status();
  auto tenant = (*store)->GetTenant("acme");
  EXPECT_EQ(tenant.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(absl::StrContains(tenant.status().message(), wrong_password))
      << tenant.status();
  EXPECT_TRUE(absl::StrContains(tenant.status().message(), "***"))
      << tenant.status();
}

TEST(PostgresSharedStoreTest, UnreachableServerIsUnavailable) {
  // Port 1 on the loopback interface refuses connections at once.
  auto store = OpenSharedStore("postgresql://u:secret@127.0.0.1:1/db");
  ASSERT_TRUE(store.ok()) << store.status();
  auto users = (*store)->ListUsers(PageRequest{});
  EXPECT_EQ(users.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(absl::StrContains(users.status().message(), "secret"));
}

TEST(PostgresSharedStoreTest, PoolReplacesConnectionKilledByServer) {
  auto database = PostgresTestDatabase::Create();
  ASSERT_TRUE(database.ok()) << database.status();
  PostgresSharedStore::Options options;
  options.url = (*database)->url();
  options.pool_size = 1;
  PostgresSharedStore store(options);
  ASSERT_TRUE(store.Migrate().ok());
  ASSERT_TRUE(store.GetMigrationStatus().ok());

  // Terminate every other session on this database, which includes the
  // store's pooled connection.
  {
    pqxx::connection admin(options.url);
    pqxx::nontransaction(admin).exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
        "datname = current_database() AND pid <> pg_backend_pid()");
  }
  // The next call finds the connection dead and retries on a new one.
  auto tenants = store.ListTenants(PageRequest{});
  EXPECT_TRUE(tenants.ok()) << tenants.status();
  EXPECT_EQ(store.pool().open_connections(), 1u);
}

TEST(PostgresSharedStoreTest, ConcurrentMigrationsApplyOnce) {
  auto database = PostgresTestDatabase::Create();
  ASSERT_TRUE(database.ok()) << database.status();
  std::vector<std::unique_ptr<SharedStore>> stores;
  for (int i = 0; i < 4; ++i) {
    auto store = OpenSharedStore((*database)->url());
    ASSERT_TRUE(store.ok());
    stores.push_back(*std::move(store));
  }
  std::vector<absl::Status> results(stores.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < stores.size(); ++i) {
    threads.emplace_back(
        [&, i] { results[i] = stores[i]->Migrate().status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& result : results) EXPECT_TRUE(result.ok()) << result;
  auto status = stores[0]->GetMigrationStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->current_version, status->latest_version);
}

}  // namespace
}  // namespace tenantry::storage
