// Runs `tenantctl backup` and `tenantctl restore` against the data
// directory of a running server, with the shared store on SQLite and on
// PostgreSQL: a backup taken under writes contains every acknowledged write,
// a restored tenant is served at once, and every rejected restore leaves
// nothing behind.

#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "storage/migrations.h"
#include "storage/sqlite.h"
#include "storage/tenant_backup.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::Document;
using tenantry::v1::Profile;

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

// Returns the `key: value` lines of tenantctl's output.
std::map<std::string, std::string> OutputFields(const std::string& output) {
  std::map<std::string, std::string> fields;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    std::vector<std::string> parts =
        absl::StrSplit(line, absl::MaxSplits(": ", 1));
    if (parts.size() == 2) fields[parts[0]] = parts[1];
  }
  return fields;
}

// Returns the single-column results of `sql` on the database at `path`.
std::vector<std::string> Query(const std::string& path,
                               const std::string& sql) {
  std::vector<std::string> rows;
  auto connection = storage::SqliteConnection::Open(
      path, storage::SqliteConnection::Options());
  EXPECT_TRUE(connection.ok()) << connection.status();
  if (!connection.ok()) return rows;
  auto statement = (*connection)->Prepare(sql);
  EXPECT_TRUE(statement.ok()) << statement.status();
  if (!statement.ok()) return rows;
  storage::StatementLease query(*statement);
  while (true) {
    absl::StatusOr<bool> has_row = query->Step();
    EXPECT_TRUE(has_row.ok()) << has_row.status();
    if (!has_row.ok() || !*has_row) break;
    rows.push_back(query->ColumnText(0));
  }
  return rows;
}

std::string LastNamePart(const std::string& name) {
  return name.substr(name.rfind('/') + 1);
}

class TenantctlBackupTest
    : public ::testing::TestWithParam<SharedStoreBackend> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start(services::ServerOptions(), GetParam());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant("acme");
    const char* root = std::getenv("TEST_TMPDIR");
    std::string pattern =
        std::string(root != nullptr ? root : "/tmp") + "/backups-XXXXXX";
    backups_ = mkdtemp(pattern.data());
  }

  void TearDown() override { std::filesystem::remove_all(backups_); }

  // Runs tenantctl on the server's stores with `arguments`.
  CommandResult Tenantctl(const std::string& arguments) {
    return RunCommand(absl::StrCat(
        "tools/tenantctl --data_dir=", server_->data_dir(), " --shared_db='",
        server_->shared_db_url(), "' ", arguments));
  }

  grpc::Status CreateDocument(const std::string& tenant_id,
                              const std::string& title, Document* created) {
    CreateDocumentRequest request;
    request.set_parent(TenantName(tenant_id));
    request.mutable_document()->set_title(title);
    request.mutable_document()->set_content(std::string(4096, 'c'));
    return server_->documents().CreateDocument(
        TestServer::TenantContext(tenant_id).get(), request, created);
  }

  grpc::Status GetProfile(const std::string& tenant_id,
                          const std::string& profile_id, Profile* profile) {
    tenantry::v1::GetProfileRequest request;
    request.set_name(
        absl::StrCat("tenants/", tenant_id, "/profiles/", profile_id));
    return server_->profiles().GetProfile(
        TestServer::TenantContext(tenant_id).get(), request, profile);
  }

  // Returns the tenant's registry row through the server, or the error.
  grpc::Status GetTenant(const std::string& tenant_id,
                         tenantry::v1::Tenant* tenant) {
    tenantry::v1::GetTenantRequest request;
    request.set_name(TenantName(tenant_id));
    return server_->tenants().GetTenant(TestServer::Context().get(), request,
                                        tenant);
  }

  grpc::Status DeleteTenant(const std::string& tenant_id, bool force) {
    tenantry::v1::DeleteTenantRequest request;
    request.set_name(TenantName(tenant_id));
    request.set_force(force);
    tenantry::v1::Tenant deleted;
    return server_->tenants().DeleteTenant(TestServer::Context().get(), request,
                                           &deleted);
  }

  // Makes a backup of acme at `path` and checks that it succeeded.
  void Backup(const std::string& path) {
    const CommandResult result =
        Tenantctl(absl::StrCat("backup --tenant=acme ", path));
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }

  bool TenantFileExists(const std::string& tenant_id) {
    struct stat info;
    return stat(absl::StrCat(server_->data_dir(), "/tenants/", tenant_id, ".db")
                    .c_str(),
                &info) == 0;
  }

  std::unique_ptr<TestServer> server_;
  std::string backups_;
};

TEST_P(TenantctlBackupTest, BackupUnderWritesHoldsAcknowledgedWrites) {
  for (int i = 0; i < 8; ++i) {
    Document created;
    ASSERT_TRUE(
        CreateDocument("acme", absl::StrCat("filler ", i), &created).ok());
  }
  // Two clients create documents until the test stops them, at most 1000 each
  // or 20 seconds, and record each one that the server acknowledged.
  absl::Mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  std::vector<std::thread> writers;
  for (int writer = 0; writer < 2; ++writer) {
    writers.emplace_back([&, writer] {
      for (int i = 0; i < 1000 && !stop && absl::Now() < give_up; ++i) {
        Document created;
        if (!CreateDocument("acme", absl::StrCat("w", writer, "-", i), &created)
                 .ok()) {
          ++failures;
          continue;
        }
        absl::MutexLock lock(&mutex);
        acknowledged.push_back(LastNamePart(created.name()));
      }
    });
  }
  const auto acknowledged_count = [&] {
    absl::MutexLock lock(&mutex);
    return acknowledged.size();
  };
  while (acknowledged_count() < 20 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  std::vector<std::string> before_backup;
  {
    absl::MutexLock lock(&mutex);
    before_backup = acknowledged;
  }

  const std::string path = backups_ + "/acme.db";
  // `--tenant acme` with a space, as operators write it.
  const CommandResult result =
      Tenantctl(absl::StrCat("backup --tenant acme ", path));
  stop = true;
  for (std::thread& writer : writers) writer.join();

  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(failures.load(), 0);
  std::map<std::string, std::string> fields = OutputFields(result.output);
  EXPECT_EQ(fields["path"], path);
  EXPECT_EQ(fields["tenant"], "acme");
  EXPECT_EQ(fields["schema_version"],
            absl::StrCat(storage::TenantMigrations().back().version));
  EXPECT_EQ(fields["size_bytes"],
            absl::StrCat(std::filesystem::file_size(path)));
  EXPECT_EQ(fields["sha256"], *storage::FileSha256(path));
  EXPECT_EQ(Query(path, "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
  const std::vector<std::string> ids = Query(path, "SELECT id FROM documents");
  const std::set<std::string> in_copy(ids.begin(), ids.end());
  ASSERT_GE(before_backup.size(), 20u);
  for (const std::string& id : before_backup) {
    EXPECT_TRUE(in_copy.count(id)) << id << " was acknowledged before backup";
  }
}

TEST_P(TenantctlBackupTest, BackupKeepsExistingFileUnlessOverwrite) {
  const std::string path = backups_ + "/acme.db";
  Backup(path);
  const std::string first_sha = *storage::FileSha256(path);
  Document created;
  ASSERT_TRUE(CreateDocument("acme", "later", &created).ok());

  CommandResult again = Tenantctl(absl::StrCat("backup --tenant=acme ", path));
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(again.output, "--overwrite")) << again.output;
  EXPECT_EQ(*storage::FileSha256(path), first_sha);

  again = Tenantctl(absl::StrCat("backup --tenant=acme --overwrite ", path));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(Query(path, "SELECT count(*) FROM documents"),
            std::vector<std::string>{"1"});

  const CommandResult unknown =
      Tenantctl(absl::StrCat("backup --tenant=nobody ", backups_, "/n.db"));
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(unknown.output, "nobody")) << unknown.output;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(backups_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_P(TenantctlBackupTest, RestoreAsNewIdIsServedAtOnce) {
  const Profile profile =
      server_->CreateUserWithProfile("acme", "ada@example.com");
  const std::string path = backups_ + "/acme.db";
  Backup(path);

  const CommandResult result = Tenantctl(absl::StrCat(
      "restore ", path, " --tenant=acme-copy --display_name='Acme copy'"));

  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(absl::StrContains(result.output,
                                "restored tenant acme-copy from " + path))
      << result.output;
  tenantry::v1::Tenant tenant;
  ASSERT_TRUE(GetTenant("acme-copy", &tenant).ok());
  EXPECT_EQ(tenant.display_name(), "Acme copy");
  EXPECT_EQ(tenant.state(), tenantry::v1::Tenant::ACTIVE);
  Profile restored;
  const grpc::Status status =
      GetProfile("acme-copy", LastNamePart(profile.name()), &restored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(restored.user(), profile.user());
  // The restored tenant takes writes like any other.
  Document created;
  EXPECT_TRUE(CreateDocument("acme-copy", "after restore", &created).ok());
}

TEST_P(TenantctlBackupTest, RestoreSameIdAfterForceDelete) {
  const Profile profile =
      server_->CreateUserWithProfile("acme", "ada@example.com");
  const std::string path = backups_ + "/acme.db";
  Backup(path);
  // Read once, so that the server has the tenant's row and database open.
  Profile before;
  ASSERT_TRUE(GetProfile("acme", LastNamePart(profile.name()), &before).ok());
  const grpc::Status deleted = DeleteTenant("acme", /*force=*/true);
  ASSERT_TRUE(deleted.ok()) << deleted.error_message();

  const CommandResult result =
      Tenantctl(absl::StrCat("restore ", path, " --tenant=acme"));

  ASSERT_EQ(result.exit_code, 0) << result.output;
  Profile restored;
  const grpc::Status status =
      GetProfile("acme", LastNamePart(profile.name()), &restored);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(restored.etag(), before.etag());
}

TEST_P(TenantctlBackupTest, RestoreRejectsTakenIds) {
  const std::string path = backups_ + "/acme.db";
  Backup(path);

  const CommandResult onto_active =
      Tenantctl(absl::StrCat("restore ", path, " --tenant=acme"));
  EXPECT_EQ(onto_active.exit_code, 1);
  EXPECT_TRUE(
      absl::StrContains(onto_active.output, "tenant \"acme\" already exists"))
      << onto_active.output;

  server_->CreateTenant("beta");
  ASSERT_TRUE(DeleteTenant("beta", /*force=*/false).ok());
  const std::string beta_sha = *storage::FileSha256(
      absl::StrCat(server_->data_dir(), "/tenants/beta.db"));
  const CommandResult onto_deleted =
      Tenantctl(absl::StrCat("restore ", path, " --tenant=beta"));
  EXPECT_EQ(onto_deleted.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(onto_deleted.output, "DELETED but not purged"))
      << onto_deleted.output;
  EXPECT_TRUE(absl::StrContains(onto_deleted.output, "purge --tenant=beta"))
      << onto_deleted.output;
  // Neither file changed.
  EXPECT_EQ(*storage::FileSha256(
                absl::StrCat(server_->data_dir(), "/tenants/beta.db")),
            beta_sha);
  EXPECT_EQ(Query(absl::StrCat(server_->data_dir(), "/tenants/acme.db"),
                  "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
}

TEST_P(TenantctlBackupTest, RejectedRestoreLeavesNothing) {
  const std::string path = backups_ + "/acme.db";
  Backup(path);
  const std::string newer_path = backups_ + "/newer.db";
  const int64_t latest = storage::TenantMigrations().back().version;
  std::filesystem::copy_file(path, newer_path);
  ASSERT_TRUE((*storage::SqliteConnection::Open(newer_path, {}))
                  ->ExecuteScript(absl::StrCat(
                      "INSERT INTO schema_migrations VALUES (", latest + 1,
                      ", '9999_future.up.sql', 'x', 0)"))
                  .ok());
  const std::string text_path = backups_ + "/notes.txt";
  {
    FILE* file = fopen(text_path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    fputs("not a database\n", file);
    fclose(file);
  }

  const CommandResult newer =
      Tenantctl(absl::StrCat("restore ", newer_path, " --tenant=fresh"));
  EXPECT_EQ(newer.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(
      newer.output,
      absl::StrCat("is at tenant schema version ", latest + 1,
                   ", but this tenantctl has tenant migrations up to "
                   "version ",
                   latest)))
      << newer.output;
  const CommandResult text =
      Tenantctl(absl::StrCat("restore ", text_path, " --tenant=fresh"));
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(text.output, "is not a SQLite database"))
      << text.output;
  const CommandResult missing = Tenantctl(
      absl::StrCat("restore ", backups_, "/missing.db --tenant=fresh"));
  EXPECT_EQ(missing.exit_code, 1);
  const CommandResult no_tenant = Tenantctl(absl::StrCat("restore ", path));
  EXPECT_EQ(no_tenant.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(no_tenant.output, "needs --tenant"))
      << no_tenant.output;

  tenantry::v1::Tenant tenant;
  EXPECT_EQ(GetTenant("fresh", &tenant).error_code(),
            grpc::StatusCode::NOT_FOUND);
  for (const auto& entry :
       std::filesystem::directory_iterator(server_->data_dir() + "/tenants")) {
    EXPECT_TRUE(absl::StartsWith(entry.path().filename().string(), "acme.db"))
        << "left behind: " << entry.path();
  }
}

TEST_P(TenantctlBackupTest, RestoreMigratesOlderCopy) {
  // A copy made before the latest tenant migrations existed.
  const std::string old_path = backups_ + "/old.db";
  {
    storage::SqliteConnection::Options options;
    options.create_if_missing = true;
    auto connection = storage::SqliteConnection::Open(old_path, options);
    ASSERT_TRUE(connection.ok()) << connection.status();
    storage::SqliteMigrationBackend backend(connection->get());
    ASSERT_TRUE(
        storage::ApplyMigrations(backend, {storage::TenantMigrations()[0]})
            .ok());
  }

  const CommandResult result =
      Tenantctl(absl::StrCat("restore ", old_path, " --tenant=old"));

  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_TRUE(absl::StrContains(
      result.output,
      absl::StrCat("schema_version: 1 -> ",
                   storage::TenantMigrations().back().version, " (applied ")))
      << result.output;
  Document created;
  EXPECT_TRUE(CreateDocument("old", "in a migrated copy", &created).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, TenantctlBackupTest,
                         ::testing::Values(SharedStoreBackend::kSqlite,
                                           SharedStoreBackend::kPostgres),
                         SharedStoreBackendName);

}  // namespace
}  // namespace tenantry::tests
