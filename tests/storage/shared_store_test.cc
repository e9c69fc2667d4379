#include "storage/shared_store.h"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
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
  EXPECT_EQ(created->revision, absl::ToUnixMicros(created->create_time));
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
  auto created = store_->CreateTenant(NewTenant("acme"));
  ASSERT_TRUE(created.ok()) << created.status();
  auto updated = store_->UpdateTenant("acme", [](TenantRecord& tenant) {
    tenant.state = TenantState::kSuspended;
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->revision, created->revision + 1);
  EXPECT_EQ(store_->GetTenant("acme")->state, TenantState::kSuspended);
}

TEST_P(SharedStoreTest, FailedMutationWritesNothing) {
  auto created = store_->CreateTenant(NewTenant("acme"));
  ASSERT_TRUE(created.ok()) << created.status();
  auto updated = store_->UpdateTenant("acme", [](TenantRecord& tenant) {
    tenant.display_name = "changed";
    return absl::AbortedError("stale");
  });
  EXPECT_EQ(updated.status().code(), absl::StatusCode::kAborted);
  auto read = store_->GetTenant("acme");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->display_name, "Tenant acme");
  EXPECT_EQ(read->revision, created->revision);
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

TEST_P(SharedStoreTest, DeleteAndPurgeTimesRoundTrip) {
  ASSERT_TRUE(store_->CreateTenant(NewTenant("acme")).ok());
  const absl::Time delete_time = CurrentTime();
  const absl::Time purge_time = delete_time + absl::Hours(168);
  auto updated = store_->UpdateTenant("acme", [&](TenantRecord& tenant) {
    tenant.delete_time = delete_time;
    tenant.purge_time = purge_time;
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
  auto read = store_->GetTenant("acme");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->delete_time, delete_time);
  EXPECT_EQ(read->purge_time, purge_time);
  EXPECT_EQ(read->state, TenantState::kActive);
}

// Soft-deletes `id` with the given purge time.
void MarkDeleted(SharedStore& store, const std::string& id,
                 absl::Time purge_time) {
  auto updated = store.UpdateTenant(id, [&](TenantRecord& tenant) {
    tenant.delete_time = purge_time - absl::Hours(1);
    tenant.purge_time = purge_time;
    return absl::OkStatus();
  });
  ASSERT_TRUE(updated.ok()) << updated.status();
}

std::vector<std::string> IdsOf(const Page<TenantRecord>& page) {
  std::vector<std::string> ids;
  for (const TenantRecord& tenant : page.items) ids.push_back(tenant.id);
  return ids;
}

TEST_P(SharedStoreTest, ListTenantsSkipsDeletedUnlessShown) {
  for (const char* id : {"alpha", "bravo", "charlie"}) {
    ASSERT_TRUE(store_->CreateTenant(NewTenant(id)).ok());
  }
  MarkDeleted(*store_, "bravo", CurrentTime() + absl::Hours(1));

  auto live = store_->ListTenants(PageRequest{10, ""}, false);
  auto all = store_->ListTenants(PageRequest{10, ""}, true);
  auto default_list = store_->ListTenants(PageRequest{10, ""});

  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_TRUE(default_list.ok()) << default_list.status();
  EXPECT_EQ(IdsOf(*live), (std::vector<std::string>{"alpha", "charlie"}));
  EXPECT_EQ(IdsOf(*all),
            (std::vector<std::string>{"alpha", "bravo", "charlie"}));
  EXPECT_EQ(IdsOf(*default_list), IdsOf(*all));
}

TEST_P(SharedStoreTest, ListPurgeableTenantsReturnsDueOnes) {
  const absl::Time now = CurrentTime();
  for (const char* id : {"active", "due", "due_now", "later"}) {
    ASSERT_TRUE(store_->CreateTenant(NewTenant(id)).ok());
  }
  MarkDeleted(*store_, "due", now - absl::Seconds(1));
  MarkDeleted(*store_, "due_now", now);
  MarkDeleted(*store_, "later", now + absl::Seconds(1));

  auto first = store_->ListPurgeableTenants(now, PageRequest{1, ""});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = store_->ListPurgeableTenants(now, PageRequest{1, "due"});
  ASSERT_TRUE(second.ok()) << second.status();

  EXPECT_EQ(IdsOf(*first), (std::vector<std::string>{"due"}));
  EXPECT_TRUE(first->has_more);
  EXPECT_EQ(IdsOf(*second), (std::vector<std::string>{"due_now"}));
  EXPECT_FALSE(second->has_more);
}

RequestKey NewRequestKey(const std::string& method, const std::string& id,
                         const std::string& sha256) {
  return RequestKey{method, id, sha256};
}

TEST_P(SharedStoreTest, ReservedRequestIsFinishedByCreateTenant) {
  const RequestKey key = NewRequestKey("CreateTenant", "r1", "aa");
  auto reserved = store_->ReserveRequest(key);
  ASSERT_TRUE(reserved.ok()) << reserved.status();
  EXPECT_TRUE(*reserved);
  auto again = store_->ReserveRequest(key);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);
  auto pending = store_->FindRequestRecord("CreateTenant", "r1");
  ASSERT_TRUE(pending.ok()) << pending.status();
  ASSERT_TRUE(pending->has_value());
  EXPECT_EQ((*pending)->resource_id, "");
  EXPECT_EQ((*pending)->request_sha256, "aa");

  auto created = store_->CreateTenantForRequest(NewTenant("acme"), key);
  ASSERT_TRUE(created.ok()) << created.status();
  auto finished = store_->FindRequestRecord("CreateTenant", "r1");
  ASSERT_TRUE(finished.ok()) << finished.status();
  ASSERT_TRUE(finished->has_value());
  EXPECT_EQ((*finished)->resource_id, "acme");

  // The record names a resource now, so a second registration fails and
  // leaves no tenant behind.
  auto second = store_->CreateTenantForRequest(NewTenant("globex"), key);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAborted)
      << second.status();
  EXPECT_EQ(store_->GetTenant("globex").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(SharedStoreTest, CreateTenantForUnreservedRequestWritesNothing) {
  const RequestKey key = NewRequestKey("CreateTenant", "never-reserved", "aa");

  auto created = store_->CreateTenantForRequest(NewTenant("acme"), key);

  EXPECT_EQ(created.status().code(), absl::StatusCode::kAborted)
      << created.status();
  EXPECT_EQ(store_->GetTenant("acme").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(SharedStoreTest, CreateUserForRequestRecordsAndRepeats) {
  const RequestKey key = NewRequestKey("CreateUser", "u1", "aa");
  auto first = store_->CreateUserForRequest(NewUser("ada@example.com"), key);
  ASSERT_TRUE(first.ok()) << first.status();

  // Another id and a taken email: the record wins, nothing is inserted.
  auto repeat = store_->CreateUserForRequest(NewUser("ada@example.com"), key);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->id, first->id);
  EXPECT_EQ(repeat->revision, 1);

  auto other = store_->CreateUserForRequest(
      NewUser("bob@example.com"), NewRequestKey("CreateUser", "u1", "bb"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists)
      << other.status();
  EXPECT_TRUE(absl::StrContains(other.status().message(), "\"u1\""))
      << other.status();
  EXPECT_EQ(store_->FindUserByEmail("bob@example.com").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(SharedStoreTest, RequestUserWithTakenEmail) {
  ASSERT_TRUE(store_->CreateUser(NewUser("ada@example.com")).ok());
  const RequestKey key = NewRequestKey("CreateUser", "u1", "aa");

  auto duplicate =
      store_->CreateUserForRequest(NewUser("ADA@example.com"), key);

  EXPECT_EQ(duplicate.status().code(), absl::StatusCode::kAlreadyExists)
      << duplicate.status();
  EXPECT_TRUE(
      absl::StrContains(duplicate.status().message(), "ADA@example.com"))
      << duplicate.status();
  auto record = store_->FindRequestRecord("CreateUser", "u1");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_FALSE(record->has_value());
}

TEST_P(SharedStoreTest, ConcurrentCreateUserForRequestMakesOneUser) {
  constexpr int kThreads = 8;
  const RequestKey key = NewRequestKey("CreateUser", "concurrent", "aa");
  std::vector<absl::StatusOr<UserRecord>> results(
      kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i]() {
      results[i] =
          store_->CreateUserForRequest(NewUser("ada@example.com"), key);
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::set<std::string> ids;
  for (const absl::StatusOr<UserRecord>& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    ids.insert(result->id);
  }
  EXPECT_EQ(ids.size(), 1);
  auto users = store_->ListUsers(PageRequest{10, ""});
  ASSERT_TRUE(users.ok()) << users.status();
  EXPECT_EQ(users->items.size(), 1);
}

TEST_P(SharedStoreTest, DeleteRequestRecordsBeforeKeepsNewerOnes) {
  ASSERT_TRUE(
      store_->ReserveRequest(NewRequestKey("CreateTenant", "old", "a")).ok());
  const absl::Time cutoff = CurrentTime() + absl::Microseconds(1);
  absl::SleepFor(absl::Milliseconds(2));
  ASSERT_TRUE(
      store_->ReserveRequest(NewRequestKey("CreateTenant", "new", "a")).ok());

  auto deleted = store_->DeleteRequestRecordsBefore(cutoff);

  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1);
  auto old_record = store_->FindRequestRecord("CreateTenant", "old");
  ASSERT_TRUE(old_record.ok());
  EXPECT_FALSE(old_record->has_value());
  auto new_record = store_->FindRequestRecord("CreateTenant", "new");
  ASSERT_TRUE(new_record.ok());
  EXPECT_TRUE(new_record->has_value());
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
