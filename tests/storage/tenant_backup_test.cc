// Online copies of tenant databases while writers go on, and the checks
// that restore such a copy, on real SQLite files.

#include "storage/tenant_backup.h"

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/migrations.h"
#include "storage/sqlite.h"
#include "storage/status_macros.h"
#include "storage/tenant_database.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {
namespace {

using ::tenantry::testing::TempDir;

bool FileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

// Returns the single-column results of `sql` on the database at `path`.
std::vector<std::string> Query(const std::string& path,
                               const std::string& sql) {
  std::vector<std::string> rows;
  auto connection = SqliteConnection::Open(path, SqliteConnection::Options());
  EXPECT_TRUE(connection.ok()) << connection.status();
  if (!connection.ok()) return rows;
  auto statement = (*connection)->Prepare(sql);
  EXPECT_TRUE(statement.ok()) << statement.status();
  if (!statement.ok()) return rows;
  StatementLease query(*statement);
  while (true) {
    absl::StatusOr<bool> has_row = query->Step();
    EXPECT_TRUE(has_row.ok()) << has_row.status();
    if (!has_row.ok() || !*has_row) break;
    rows.push_back(query->ColumnText(0));
  }
  return rows;
}

// Returns whether the database header at `path` marks the file as WAL
// mode: bytes 18 and 19, the file format write and read versions, are 2.
bool HasWalHeader(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char header[20] = {};
  file.read(header, sizeof(header));
  return file && header[18] == 2 && header[19] == 2;
}

int64_t LatestTenantVersion() { return TenantMigrations().back().version; }

absl::Status InsertProfile(TenantDatabase& database, const std::string& id) {
  return database.Write([&id](SqliteConnection& connection) -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection.Prepare("INSERT INTO profiles (id, user_id, create_time, "
                           "update_time, revision) VALUES (?, ?, 0, 0, 1)"));
    StatementLease insert(statement);
    insert->BindAll(id, id);
    return insert->Execute().status();
  });
}

class TenantBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateTenantDatabaseFile(data_.path(), "acme").ok());
    source_path_ = TenantDatabasePath(data_.path(), "acme");
    auto database = TenantDatabase::Open("acme", source_path_, {});
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
  }

  // Adds `count` documents of `bytes` bytes each, so that the database
  // has many pages to copy.
  void AddDocuments(int count, int bytes) {
    const std::string content(bytes, 'x');
    for (int i = 0; i < count; ++i) {
      absl::Status written =
          database_->Write([&](SqliteConnection& connection) -> absl::Status {
            TENANTRY_ASSIGN_OR_RETURN(
                SqliteStatement * statement,
                connection.Prepare(
                    "INSERT INTO documents (id, title, content, content_type, "
                    "size_bytes, create_time, update_time, revision) VALUES "
                    "(?, 't', ?, 'text/plain', ?, 0, 0, 1)"));
            StatementLease insert(statement);
            insert->BindAll(absl::StrCat("doc", i), Blob{content},
                            static_cast<int64_t>(content.size()));
            return insert->Execute().status();
          });
      ASSERT_TRUE(written.ok()) << written;
    }
  }

  TempDir data_;
  TempDir out_;
  std::string source_path_;
  std::unique_ptr<TenantDatabase> database_;
};

TEST_F(TenantBackupTest, CopyIsSnapshotWhileWritersGoOn) {
  AddDocuments(100, 32 * 1024);

  // Two writers insert profiles until the test stops them, at most 20000 rows
  // or 20 seconds, and record each id once its write is acknowledged, and
  // separately if the write began after the copy's snapshot was taken.
  absl::Mutex mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::string> begun_after_snapshot;
  std::atomic<bool> snapshot_taken{false};
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  std::vector<std::thread> writers;
  for (int writer = 0; writer < 2; ++writer) {
    writers.emplace_back([&, writer] {
      for (int i = 0; i < 10000 && !stop && absl::Now() < give_up; ++i) {
        const std::string id = absl::StrCat("w", writer, "-", i);
        const bool after_snapshot = snapshot_taken;
        if (InsertProfile(*database_, id).ok()) {
          absl::MutexLock lock(&mutex);
          acknowledged.push_back(id);
          if (after_snapshot) begun_after_snapshot.push_back(id);
        } else {
          ++failures;
        }
      }
    });
  }
  const auto acknowledged_count = [&] {
    absl::MutexLock lock(&mutex);
    return acknowledged.size();
  };
  // Some writes land before the copy starts.
  while (acknowledged_count() < 50 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }

  std::vector<std::string> before_copy;
  std::vector<std::string> during_copy;
  int hook_calls = 0;
  BackupOptions options;
  options.pages_per_step = 8;
  // The snapshot is taken before the first step. Between the second and
  // third step, wait until the writers have committed 50 rows that they
  // began after that, so that the copy provably runs under writes.
  options.is_cancelled = [&] {
    if (++hook_calls == 3) {
      snapshot_taken = true;
      while (absl::Now() < give_up) {
        {
          absl::MutexLock lock(&mutex);
          if (begun_after_snapshot.size() >= 50) break;
        }
        absl::SleepFor(absl::Milliseconds(1));
      }
      absl::MutexLock lock(&mutex);
      during_copy = begun_after_snapshot;
    }
    return false;
  };
  {
    absl::MutexLock lock(&mutex);
    before_copy = acknowledged;
  }
  const std::string copy_path = out_.path() + "/acme.db";
  absl::StatusOr<BackupInfo> info =
      BackupDatabaseFile(source_path_, copy_path, options);
  stop = true;
  for (std::thread& writer : writers) writer.join();

  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_GE(during_copy.size(), 50u) << "the writers did not write during "
                                        "the copy";
  // Every step copied new pages: the copy never started over.
  EXPECT_EQ(info->steps, (info->page_count + 7) / 8);
  EXPECT_GT(info->steps, 3);
  EXPECT_EQ(info->schema_version, LatestTenantVersion());
  struct stat copied;
  ASSERT_EQ(stat(copy_path.c_str(), &copied), 0);
  EXPECT_EQ(info->size_bytes, copied.st_size);

  EXPECT_EQ(Query(copy_path, "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
  EXPECT_TRUE(HasWalHeader(copy_path));
  const std::vector<std::string> copied_ids =
      Query(copy_path, "SELECT id FROM profiles");
  const std::set<std::string> in_copy(copied_ids.begin(), copied_ids.end());
  for (const std::string& id : before_copy) {
    EXPECT_TRUE(in_copy.count(id)) << id << " was acknowledged before the copy";
  }
  for (const std::string& id : during_copy) {
    EXPECT_FALSE(in_copy.count(id))
        << id << " was written after the copy's snapshot";
  }
  EXPECT_EQ(Query(copy_path, "SELECT count(*) FROM documents"),
            std::vector<std::string>{"100"});
  // Only the copy is left in the target directory.
  EXPECT_EQ(out_.List(), std::vector<std::string>{"acme.db"});
}

TEST_F(TenantBackupTest, ExistingTargetIsKeptUnlessReplaced) {
  const std::string copy_path = out_.path() + "/acme.db";
  std::ofstream(copy_path) << "keep me";

  absl::StatusOr<BackupInfo> info = BackupDatabaseFile(source_path_, copy_path);

  EXPECT_EQ(info.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(out_.List(), std::vector<std::string>{"acme.db"});
  std::ifstream kept(copy_path);
  std::string contents((std::istreambuf_iterator<char>(kept)),
                       std::istreambuf_iterator<char>());
  EXPECT_EQ(contents, "keep me");

  BackupOptions replace;
  replace.replace_existing = true;
  info = BackupDatabaseFile(source_path_, copy_path, replace);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(Query(copy_path, "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
}

TEST_F(TenantBackupTest, CancelledCopyLeavesNoFile) {
  AddDocuments(20, 16 * 1024);
  BackupOptions options;
  options.pages_per_step = 1;
  int calls = 0;
  options.is_cancelled = [&calls] { return ++calls > 2; };

  absl::StatusOr<BackupInfo> info =
      BackupDatabaseFile(source_path_, out_.path() + "/acme.db", options);

  EXPECT_EQ(info.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(out_.List().empty());
}

TEST_F(TenantBackupTest, MissingSourceIsNotFound) {
  absl::StatusOr<BackupInfo> info = BackupDatabaseFile(
      data_.path() + "/tenants/missing.db", out_.path() + "/missing.db");
  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(out_.List().empty());
}

TEST_F(TenantBackupTest, MissingTargetDirectoryIsNamed) {
  const std::string copy_path = out_.path() + "/missing/acme.db";

  absl::StatusOr<BackupInfo> info = BackupDatabaseFile(source_path_, copy_path);

  EXPECT_EQ(info.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(info.status().message(),
                                out_.path() + "/missing is not a directory"))
      << info.status();
}

TEST(Sha256Test, MatchesKnownDigests) {
  TempDir directory;
  const std::string path = directory.path() + "/abc";
  std::ofstream(path) << "abc";
  // The "abc" test vector of FIPS 180-2.
  EXPECT_EQ(*FileSha256(path),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Hasher hasher;
  hasher.Update("a");
  hasher.Update("bc");
  EXPECT_EQ(hasher.HexDigest(), *FileSha256(path));
  EXPECT_EQ(FileSha256(directory.path() + "/missing").status().code(),
            absl::StatusCode::kNotFound);
}

class RestoreTest : public TenantBackupTest {
 protected:
  // Makes a copy of acme with one profile and returns its path.
  std::string MakeCopy() {
    EXPECT_TRUE(InsertProfile(*database_, "p1").ok());
    const std::string copy_path = out_.path() + "/acme-copy.db";
    EXPECT_TRUE(BackupDatabaseFile(source_path_, copy_path).ok());
    return copy_path;
  }

  // Returns the files under the restore's data directory.
  std::vector<std::string> RestoredFiles() {
    return FileExists(target_.path()) ? target_.List()
                                      : std::vector<std::string>{};
  }

  TempDir target_;
};

TEST_F(RestoreTest, CopyBecomesTenantDatabase) {
  const std::string copy_path = MakeCopy();
  const std::string sha_before = *FileSha256(copy_path);

  absl::StatusOr<RestoredDatabase> restored =
      RestoreTenantDatabaseFile(copy_path, target_.path(), "beta");

  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->version_in_file, LatestTenantVersion());
  EXPECT_EQ(restored->version_after, LatestTenantVersion());
  EXPECT_TRUE(restored->applied.empty());
  EXPECT_EQ(RestoredFiles(),
            (std::vector<std::string>{"tenants", "tenants/beta.db"}));
  auto database = TenantDatabase::Open(
      "beta", TenantDatabasePath(target_.path(), "beta"), {});
  ASSERT_TRUE(database.ok()) << database.status();
  EXPECT_EQ(Query(TenantDatabasePath(target_.path(), "beta"),
                  "SELECT id FROM profiles"),
            std::vector<std::string>{"p1"});
  EXPECT_EQ(*FileSha256(copy_path), sha_before);
}

TEST_F(RestoreTest, OlderCopyIsMigrated) {
  // A database made by a release that had only the first tenant migration.
  const std::string old_path = out_.path() + "/old.db";
  {
    SqliteConnection::Options options;
    options.create_if_missing = true;
    auto connection = SqliteConnection::Open(old_path, options);
    ASSERT_TRUE(connection.ok()) << connection.status();
    SqliteMigrationBackend backend(connection->get());
    ASSERT_TRUE(ApplyMigrations(backend, {TenantMigrations().front()}).ok());
    ASSERT_TRUE((*connection)
                    ->ExecuteScript("INSERT INTO profiles (id, user_id, "
                                    "create_time, update_time, revision) "
                                    "VALUES ('old', 'u', 0, 0, 1)")
                    .ok());
  }

  absl::StatusOr<RestoredDatabase> restored =
      RestoreTenantDatabaseFile(old_path, target_.path(), "beta");

  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->version_in_file, 1);
  EXPECT_EQ(restored->version_after, LatestTenantVersion());
  EXPECT_EQ(restored->applied.size(), TenantMigrations().size() - 1);
  const std::string path = TenantDatabasePath(target_.path(), "beta");
  EXPECT_EQ(Query(path, "PRAGMA user_version"),
            std::vector<std::string>{absl::StrCat(LatestTenantVersion())});
  EXPECT_EQ(Query(path, "SELECT id FROM profiles"),
            std::vector<std::string>{"old"});
  EXPECT_TRUE(TenantDatabase::Open("beta", path, {}).ok());
}

TEST_F(RestoreTest, NewerCopyIsRejectedAndLeavesNothing) {
  const std::string copy_path = MakeCopy();
  const int64_t newer = LatestTenantVersion() + 1;
  ASSERT_TRUE((*SqliteConnection::Open(copy_path, {}))
                  ->ExecuteScript(
                      absl::StrCat("INSERT INTO schema_migrations VALUES (",
                                   newer, ", '9999_future.up.sql', 'x', 0)"))
                  .ok());

  absl::StatusOr<RestoredDatabase> restored =
      RestoreTenantDatabaseFile(copy_path, target_.path(), "beta");

  EXPECT_EQ(restored.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(restored.status().message(),
                                absl::StrCat("version ", newer,
                                             ", but this tenantctl has tenant "
                                             "migrations up to version ",
                                             LatestTenantVersion())))
      << restored.status();
  EXPECT_EQ(RestoredFiles(), std::vector<std::string>{"tenants"});
}

TEST_F(RestoreTest, ExistingDatabaseFileIsKept) {
  const std::string copy_path = MakeCopy();
  ASSERT_TRUE(CreateTenantDatabaseFile(target_.path(), "beta").ok());
  const std::string path = TenantDatabasePath(target_.path(), "beta");
  const std::string sha_before = *FileSha256(path);

  absl::StatusOr<RestoredDatabase> restored =
      RestoreTenantDatabaseFile(copy_path, target_.path(), "beta");

  EXPECT_EQ(restored.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(restored.status().message(), path));
  EXPECT_EQ(*FileSha256(path), sha_before);
  EXPECT_EQ(RestoredFiles(),
            (std::vector<std::string>{"tenants", "tenants/beta.db"}));
}

TEST_F(RestoreTest, DamagedCopyIsRejected) {
  AddDocuments(20, 16 * 1024);
  const std::string copy_path = MakeCopy();
  {
    // Overwrite three whole pages in the middle of the file, which hold
    // the documents, page headers and overflow pointers included.
    std::fstream file(copy_path,
                      std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(8 * 4096);
    const std::string garbage(3 * 4096, '\x7f');
    file.write(garbage.data(), garbage.size());
  }

  absl::StatusOr<RestoredDatabase> restored =
      RestoreTenantDatabaseFile(copy_path, target_.path(), "beta");

  EXPECT_EQ(restored.status().code(), absl::StatusCode::kFailedPrecondition)
      << restored.status();
  EXPECT_EQ(RestoredFiles(), std::vector<std::string>{"tenants"});
}

TEST_F(RestoreTest, OtherFilesAreRejected) {
  const std::string text_path = out_.path() + "/notes.txt";
  std::ofstream(text_path) << "not a database at all, just some text";
  const std::string shared_path = out_.path() + "/shared.db";
  {
    SqliteConnection::Options options;
    options.create_if_missing = true;
    auto connection = SqliteConnection::Open(shared_path, options);
    ASSERT_TRUE(connection.ok()) << connection.status();
    SqliteMigrationBackend backend(connection->get());
    ASSERT_TRUE(ApplyMigrations(backend, SharedMigrations()).ok());
  }
  const std::string empty_path = out_.path() + "/empty.db";
  {
    SqliteConnection::Options options;
    options.create_if_missing = true;
    auto connection = SqliteConnection::Open(empty_path, options);
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE((*connection)->ExecuteScript("CREATE TABLE t (x)").ok());
  }

  for (const std::string& path : {text_path, shared_path, empty_path}) {
    absl::StatusOr<RestoredDatabase> restored =
        RestoreTenantDatabaseFile(path, target_.path(), "beta");
    EXPECT_EQ(restored.status().code(), absl::StatusCode::kInvalidArgument)
        << path << ": " << restored.status();
    EXPECT_TRUE(absl::StrContains(restored.status().message(), path))
        << restored.status();
  }
  EXPECT_EQ(RestoreTenantDatabaseFile(out_.path() + "/missing.db",
                                      target_.path(), "beta")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RestoreTenantDatabaseFile(text_path, target_.path(), "../evil")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> left = RestoredFiles();
  for (const std::string& file : left) {
    EXPECT_EQ(file, "tenants") << "restore left " << file;
  }
}

TEST_F(RestoreTest, LiveDatabaseWithWalIsRejected) {
  // The source is open, so its -wal file exists.
  ASSERT_TRUE(InsertProfile(*database_, "p1").ok());
  ASSERT_TRUE(FileExists(source_path_ + "-wal"));

  absl::StatusOr<RestoredDatabase> restored =
      RestoreTenantDatabaseFile(source_path_, target_.path(), "beta");

  EXPECT_EQ(restored.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(restored.status().message(), "-wal exists"))
      << restored.status();
  EXPECT_TRUE(RestoredFiles().empty());
}

}  // namespace
}  // namespace tenantry::storage
