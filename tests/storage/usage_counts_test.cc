// The usage counts of tenant migration 0003 on real SQLite files: the
// backfill of a database that already contains rows, the triggers that keep
// the counts, CheckQuota's limits and messages, and the down file.

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/migrations.h"
#include "storage/sqlite.h"
#include "storage/tenant_database.h"
#include "storage/tenant_usage.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {

// In the namespace of TenantUsageCounts, where gtest finds them by
// argument-dependent lookup.
bool operator==(const TenantUsageCounts& a, const TenantUsageCounts& b) {
  return a.profiles == b.profiles && a.posts == b.posts &&
         a.documents == b.documents && a.document_bytes == b.document_bytes;
}

void PrintTo(const TenantUsageCounts& counts, std::ostream* os) {
  *os << "{profiles " << counts.profiles << ", posts " << counts.posts
      << ", documents " << counts.documents << ", document_bytes "
      << counts.document_bytes << "}";
}

namespace {

using ::tenantry::testing::TempDir;

constexpr char kDownFile[] =
    "migrations/tenant/0003_add_request_ids_and_usage.down.sql";

// The built-in tenant migrations up to and including `version`.
std::vector<Migration> TenantMigrationsUpTo(int64_t version) {
  std::vector<Migration> migrations;
  for (const Migration& migration : TenantMigrations()) {
    if (migration.version <= version) migrations.push_back(migration);
  }
  return migrations;
}

class UsageCountsTest : public ::testing::Test {
 protected:
  // Creates acme.db at schema `version`.
  void CreateDatabase(int64_t version) {
    path_ = TenantDatabasePath(directory_.path(), "acme");
    ASSERT_TRUE(CreateDirectory(directory_.path() + "/tenants").ok());
    SqliteConnection::Options options;
    options.create_if_missing = true;
    auto connection = SqliteConnection::Open(path_, options);
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = *std::move(connection);
    Migrate(version);
  }

  void Migrate(int64_t version) {
    SqliteMigrationBackend backend(connection_.get());
    auto outcome = ApplyMigrations(backend, TenantMigrationsUpTo(version),
                                   MigrationAtomicity::kAllPending);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
  }

  void Execute(const std::string& sql) {
    const absl::Status status = connection_->ExecuteScript(sql);
    ASSERT_TRUE(status.ok()) << status << "\nin: " << sql;
  }

  void InsertProfile(const std::string& id) {
    Execute(absl::StrCat(
        "INSERT INTO profiles (id, user_id, create_time, update_time, "
        "revision) VALUES ('",
        id, "', 'user-", id, "', 1, 1, 1)"));
  }

  void InsertPost(const std::string& id, const std::string& profile_id) {
    Execute(
        absl::StrCat("INSERT INTO posts (id, profile_id, content, create_time, "
                     "update_time) VALUES ('",
                     id, "', '", profile_id, "', 'text', 1, 1)"));
  }

  void InsertDocument(const std::string& id, int size_bytes) {
    Execute(absl::StrCat(
        "INSERT INTO documents (id, title, content, content_type, size_bytes, "
        "create_time, update_time, revision) VALUES ('",
        id, "', 't', zeroblob(", size_bytes, "), 'text/plain', ", size_bytes,
        ", 1, 1, 1)"));
  }

  // Counts the tables the slow way, to compare with the kept counts.
  TenantUsageCounts CountTables() {
    TenantUsageCounts counts;
    auto statement = connection_->Prepare(
        "SELECT (SELECT count(*) FROM profiles), (SELECT count(*) FROM posts), "
        "(SELECT count(*) FROM documents), "
        "(SELECT coalesce(sum(size_bytes), 0) FROM documents)");
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return counts;
    StatementLease query(*statement);
    auto row = query->Step();
    EXPECT_TRUE(row.ok()) << row.status();
    if (!row.ok() || !*row) return counts;
    counts.profiles = query->ColumnInt(0);
    counts.posts = query->ColumnInt(1);
    counts.documents = query->ColumnInt(2);
    counts.document_bytes = query->ColumnInt(3);
    return counts;
  }

  TenantUsageCounts ReadCounts() {
    auto counts = ReadUsageCounts(*connection_);
    EXPECT_TRUE(counts.ok()) << counts.status();
    return counts.ok() ? *counts : TenantUsageCounts{};
  }

  // The schema's tables, indexes and triggers, without the migration
  // history, as "type name: sql" lines in name order.
  std::vector<std::string> Schema() {
    std::vector<std::string> objects;
    auto statement = connection_->Prepare(
        "SELECT type, name, coalesce(sql, '') FROM sqlite_master "
        "WHERE name != 'schema_migrations' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name");
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return objects;
    StatementLease query(*statement);
    while (true) {
      auto row = query->Step();
      EXPECT_TRUE(row.ok()) << row.status();
      if (!row.ok() || !*row) break;
      objects.push_back(absl::StrCat(query->ColumnText(0), " ",
                                     query->ColumnText(1), ": ",
                                     query->ColumnText(2)));
    }
    return objects;
  }

  TempDir directory_;
  std::string path_;
  std::unique_ptr<SqliteConnection> connection_;
};

TEST_F(UsageCountsTest, MigrationBackfillsExistingRows) {
  CreateDatabase(2);
  InsertProfile("p1");
  InsertProfile("p2");
  InsertProfile("p3");
  InsertPost("a", "p1");
  InsertPost("b", "p1");
  InsertPost("c", "p2");
  InsertPost("d", "p3");
  InsertDocument("d1", 10);
  InsertDocument("d2", 32);
  connection_.reset();

  // The path that `tenantctl migrate tenants` takes, to the latest version.
  auto outcome = MigrateTenantDatabaseFile(path_, TenantMigrations());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  auto connection = SqliteConnection::Open(path_, {});
  ASSERT_TRUE(connection.ok()) << connection.status();
  connection_ = *std::move(connection);

  const TenantUsageCounts expected{3, 4, 2, 42};
  EXPECT_EQ(ReadCounts(), expected);
  EXPECT_EQ(CountTables(), expected);
}

TEST_F(UsageCountsTest, EmptyDatabaseStartsAtZero) {
  CreateDatabase(3);

  EXPECT_EQ(ReadCounts(), (TenantUsageCounts{0, 0, 0, 0}));
}

TEST_F(UsageCountsTest, TriggersFollowInsertsAndDeletes) {
  CreateDatabase(3);
  InsertProfile("p1");
  InsertProfile("p2");
  InsertPost("a", "p1");
  InsertPost("b", "p1");
  InsertPost("c", "p2");
  InsertDocument("d1", 100);
  InsertDocument("d2", 50);
  EXPECT_EQ(ReadCounts(), (TenantUsageCounts{2, 3, 2, 150}));

  Execute("DELETE FROM posts WHERE id = 'c'");
  Execute("DELETE FROM documents WHERE id = 'd2'");

  EXPECT_EQ(ReadCounts(), (TenantUsageCounts{2, 2, 1, 100}));
  EXPECT_EQ(ReadCounts(), CountTables());
}

TEST_F(UsageCountsTest, CascadeDeleteOfPostsIsCounted) {
  CreateDatabase(3);
  InsertProfile("p1");
  InsertProfile("p2");
  InsertPost("a", "p1");
  InsertPost("b", "p1");
  InsertPost("c", "p2");

  // ON DELETE CASCADE removes the posts of p1 with it.
  Execute("DELETE FROM profiles WHERE id = 'p1'");

  EXPECT_EQ(ReadCounts(), (TenantUsageCounts{1, 1, 0, 0}));
  EXPECT_EQ(ReadCounts(), CountTables());
}

TEST_F(UsageCountsTest, DocumentResizeUpdatesBytes) {
  CreateDatabase(3);
  InsertDocument("d1", 100);
  InsertDocument("d2", 20);

  Execute("UPDATE documents SET size_bytes = 7 WHERE id = 'd1'");
  Execute("UPDATE documents SET title = 'renamed' WHERE id = 'd2'");

  EXPECT_EQ(ReadCounts(), (TenantUsageCounts{0, 0, 2, 27}));
  EXPECT_EQ(ReadCounts(), CountTables());
}

TEST_F(UsageCountsTest, RolledBackInsertLeavesCounts) {
  CreateDatabase(3);
  InsertProfile("p1");

  Execute("BEGIN");
  InsertProfile("p2");
  InsertDocument("d1", 5);
  Execute("ROLLBACK");

  EXPECT_EQ(ReadCounts(), (TenantUsageCounts{1, 0, 0, 0}));
}

TEST_F(UsageCountsTest, DownFileRestoresVersionTwoSchema) {
  CreateDatabase(2);
  const std::vector<std::string> version_two = Schema();
  Migrate(3);
  ASSERT_NE(Schema(), version_two);
  std::ifstream file(kDownFile);
  ASSERT_TRUE(file.good()) << "cannot read " << kDownFile;
  std::stringstream down_sql;
  down_sql << file.rdbuf();

  Execute(down_sql.str());

  EXPECT_EQ(Schema(), version_two);
}

TEST_F(UsageCountsTest, CheckQuotaAllowsUpToLimit) {
  CreateDatabase(3);
  InsertProfile("p1");
  TenantQuota quota;
  quota.max_profiles = 2;
  UsageDelta delta;
  delta.profiles = 1;

  EXPECT_TRUE(CheckQuota(*connection_, quota, delta).ok());
}

TEST_F(UsageCountsTest, CheckQuotaRejectsProfilePastLimit) {
  CreateDatabase(3);
  InsertProfile("p1");
  InsertProfile("p2");
  TenantQuota quota;
  quota.max_profiles = 2;
  UsageDelta delta;
  delta.profiles = 1;

  const absl::Status status = CheckQuota(*connection_, quota, delta);

  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "tenant acme has 2 of at most 2 profiles; raise "
            "tenant.quota.max_profiles with UpdateTenant or delete profiles");
  const std::optional<QuotaViolation> violation = GetQuotaViolation(status);
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->subject, "tenants/acme");
  EXPECT_EQ(violation->description, status.message());
}

TEST_F(UsageCountsTest, CheckQuotaRejectsDocumentPastLimit) {
  CreateDatabase(3);
  InsertDocument("d1", 10);
  TenantQuota quota;
  quota.max_documents = 1;
  UsageDelta delta;
  delta.documents = 1;
  delta.document_bytes = 10;

  const absl::Status status = CheckQuota(*connection_, quota, delta);

  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "tenant acme has 1 of at most 1 documents; raise "
            "tenant.quota.max_documents with UpdateTenant or delete "
            "documents");
}

TEST_F(UsageCountsTest, CheckQuotaRejectsBytesPastLimit) {
  CreateDatabase(3);
  InsertDocument("d1", 900);
  TenantQuota quota;
  quota.max_documents = 10;
  quota.max_document_bytes = 1000;
  UsageDelta delta;
  delta.documents = 1;
  delta.document_bytes = 101;

  const absl::Status status = CheckQuota(*connection_, quota, delta);

  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "tenant acme has 900 of at most 1000 bytes of documents, and the "
            "request adds 101; raise tenant.quota.max_document_bytes with "
            "UpdateTenant or delete documents");
  // Exactly up to the limit passes.
  delta.document_bytes = 100;
  EXPECT_TRUE(CheckQuota(*connection_, quota, delta).ok());
}

TEST_F(UsageCountsTest, CheckQuotaSkipsLimitsOfOtherKinds) {
  CreateDatabase(3);
  InsertDocument("d1", 900);
  TenantQuota quota;
  quota.max_document_bytes = 100;
  UsageDelta delta;
  delta.profiles = 1;

  // The tenant is already over max_document_bytes, but a profile adds no
  // documents.
  EXPECT_TRUE(CheckQuota(*connection_, quota, delta).ok());
}

TEST_F(UsageCountsTest, EmptyDocumentOverLoweredByteLimitIsRejected) {
  CreateDatabase(3);
  InsertDocument("d1", 900);
  TenantQuota quota;
  quota.max_document_bytes = 100;
  UsageDelta delta;
  delta.documents = 1;

  const absl::Status status = CheckQuota(*connection_, quota, delta);

  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "tenant acme has 900 of at most 100 bytes of documents; raise "
            "tenant.quota.max_document_bytes with UpdateTenant or delete "
            "documents");
}

TEST_F(UsageCountsTest, CheckQuotaRejectsBelowCurrentUse) {
  CreateDatabase(3);
  InsertProfile("p1");
  InsertProfile("p2");
  InsertProfile("p3");
  TenantQuota quota;
  quota.max_profiles = 1;
  UsageDelta delta;
  delta.profiles = 1;

  const absl::Status status = CheckQuota(*connection_, quota, delta);

  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(),
            "tenant acme has 3 of at most 1 profiles; raise "
            "tenant.quota.max_profiles with UpdateTenant or delete profiles");
}

TEST_F(UsageCountsTest, ZeroLimitMeansNone) {
  CreateDatabase(3);
  InsertProfile("p1");
  UsageDelta delta;
  delta.profiles = 1;
  delta.documents = 1;
  delta.document_bytes = int64_t{1} << 40;

  EXPECT_TRUE(CheckQuota(*connection_, TenantQuota{}, delta).ok());
}

}  // namespace
}  // namespace tenantry::storage
