#include "storage/tenant_backup.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/file_operations.h"
#include "storage/ids.h"
#include "storage/migrations.h"
#include "storage/sqlite.h"
#include "storage/status_macros.h"
#include "storage/tenant_database.h"

namespace tenantry::storage {
namespace {

// The size of the pieces in which files are copied and hashed.
constexpr size_t kFileBufferBytes = 1 << 20;

// Retries, and the pause between them, of a backup step that finds the
// source or target busy, before the copy fails. The snapshot is already
// open and no other connection uses the target, so SQLite is not expected
// to report either as busy. The retries bound the wait if it does.
constexpr int kMaxBusySteps = 200;
constexpr absl::Duration kBusyStepPause = absl::Milliseconds(10);

// Removes a SQLite file that this module made and the side files that a
// connection to it may have left.
void RemoveDatabaseFiles(const std::string& path) {
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) {
    RemoveIfPresent(path + suffix).IgnoreError();
  }
}

// Returns the directory part of `path`: "." for a bare file name.
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseNameOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Gives the complete file at `temporary_path` the name `target_path`.
// Without `replace_existing`, link() makes the name only if it is free,
// atomically, so a file that appeared since an earlier check is kept.
absl::Status MoveIntoPlace(const std::string& temporary_path,
                           const std::string& target_path,
                           bool replace_existing) {
  if (replace_existing) {
    if (rename(temporary_path.c_str(), target_path.c_str()) != 0) {
      return ErrnoError("rename a new file to", target_path);
    }
    return absl::OkStatus();
  }
  if (link(temporary_path.c_str(), target_path.c_str()) != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat(target_path, " already exists"));
    }
    return ErrnoError("link a new file to", target_path);
  }
  return RemoveIfPresent(temporary_path);
}

// Copies the bytes of `source` to the new file `target` and syncs it.
absl::Status CopyFile(const std::string& source, const std::string& target) {
  const int in = open(source.c_str(), O_RDONLY);
  if (in < 0) return ErrnoError("open", source);
  const int out = open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (out < 0) {
    absl::Status status = ErrnoError("create", target);
    close(in);
    return status;
  }
  std::string buffer(kFileBufferBytes, '\0');
  absl::Status status;
  while (status.ok()) {
    const ssize_t read_bytes = read(in, buffer.data(), buffer.size());
    if (read_bytes < 0) {
      if (errno == EINTR) continue;
      status = ErrnoError("read", source);
      break;
    }
    if (read_bytes == 0) break;
    ssize_t written = 0;
    while (written < read_bytes) {
      const ssize_t result =
          write(out, buffer.data() + written, read_bytes - written);
      if (result < 0) {
        if (errno == EINTR) continue;
        status = ErrnoError("write", target);
        break;
      }
      written += result;
    }
  }
  if (status.ok() && fsync(out) != 0) status = ErrnoError("sync", target);
  close(in);
  if (close(out) != 0 && status.ok()) status = ErrnoError("close", target);
  return status;
}

// Returns whether `connection` has a table named `table`.
absl::StatusOr<bool> HasTable(SqliteConnection& connection,
                              absl::string_view table) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                         "AND name = ?"));
  StatementLease query(statement);
  query->BindAll(table);
  return query->Step();
}

// Returns the highest version in schema_migrations, or 0 without that
// table. Reads without creating the table, unlike
// SqliteMigrationBackend::LoadHistory.
absl::StatusOr<int64_t> ReadSchemaVersion(SqliteConnection& connection) {
  TENANTRY_ASSIGN_OR_RETURN(const bool has_history,
                            HasTable(connection, "schema_migrations"));
  if (!has_history) return 0;
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare(
          "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  StatementLease query(statement);
  TENANTRY_ASSIGN_OR_RETURN(const bool has_row, query->Step());
  return has_row ? query->ColumnInt(0) : 0;
}

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// Copies every page of the source's main database into `temporary_path`
// with the online backup API. The caller has opened the read transaction
// on `source` whose snapshot is copied.
absl::Status CopyPages(SqliteConnection& source,
                       const std::string& temporary_path,
                       const BackupOptions& options, BackupInfo& info) {
  sqlite3* raw_target = nullptr;
  const int opened = sqlite3_open_v2(
      temporary_path.c_str(), &raw_target,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  std::unique_ptr<sqlite3, SqliteCloser> target(raw_target);
  if (opened != SQLITE_OK) {
    return SqliteError(target.get(), opened,
                       absl::StrCat("failed to create ", temporary_path));
  }
  // A failed copy is deleted rather than rolled back, and the file is
  // synced once at the end, so the target needs neither a journal nor a
  // sync per step.
  const int configured = sqlite3_exec(target.get(),
                                      "PRAGMA journal_mode = OFF; "
                                      "PRAGMA synchronous = OFF;",
                                      nullptr, nullptr, nullptr);
  if (configured != SQLITE_OK) {
    return SqliteError(target.get(), configured,
                       absl::StrCat("failed to configure ", temporary_path));
  }
  sqlite3_backup* backup =
      sqlite3_backup_init(target.get(), "main", source.handle(), "main");
  if (backup == nullptr) {
    return SqliteError(
        target.get(), sqlite3_errcode(target.get()),
        absl::StrCat("failed to start the copy of ", source.path()));
  }
  const int pages_per_step = std::max(1, options.pages_per_step);
  int busy_steps = 0;
  absl::Status status;
  while (true) {
    if (options.is_cancelled != nullptr && options.is_cancelled()) {
      status = absl::CancelledError(absl::StrCat(
          "the copy of ", source.path(), " was cancelled; no copy was kept"));
      break;
    }
    const int stepped = sqlite3_backup_step(backup, pages_per_step);
    ++info.steps;
    if (stepped == SQLITE_DONE) break;
    if (stepped == SQLITE_OK) continue;
    if ((stepped == SQLITE_BUSY || stepped == SQLITE_LOCKED) &&
        ++busy_steps <= kMaxBusySteps) {
      absl::SleepFor(kBusyStepPause);
      continue;
    }
    status = SqliteError(nullptr, stepped,
                         absl::StrCat("failed to copy ", source.path()));
    break;
  }
  info.page_count = sqlite3_backup_pagecount(backup);
  // sqlite3_backup_finish() returns the error of the last step, which
  // `status` already describes.
  const int finished = sqlite3_backup_finish(backup);
  if (status.ok() && finished != SQLITE_OK) {
    status = SqliteError(target.get(), finished,
                         absl::StrCat("failed to copy ", source.path()));
  }
  TENANTRY_RETURN_IF_ERROR(status);
  const int closed = sqlite3_close(target.release());
  if (closed != SQLITE_OK) {
    return SqliteError(nullptr, closed,
                       absl::StrCat("failed to close ", temporary_path));
  }
  return absl::OkStatus();
}

// Checks that the history of `connection` is one of the tenant track and
// not newer than this binary, before any migration runs on it.
absl::Status CheckTenantHistory(SqliteConnection& connection,
                                const std::string& input_path,
                                int64_t version) {
  const std::vector<Migration>& migrations = TenantMigrations();
  const int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  if (version > latest) {
    return absl::FailedPreconditionError(absl::StrCat(
        input_path, " is at tenant schema version ", version,
        ", but this tenantctl has tenant migrations up to version ", latest,
        "; restore it with the tenantctl of the server release that made "
        "the copy, or a newer one"));
  }
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("SELECT version, name FROM schema_migrations "
                         "ORDER BY version"));
  StatementLease query(statement);
  while (true) {
    TENANTRY_ASSIGN_OR_RETURN(const bool has_row, query->Step());
    if (!has_row) break;
    const int64_t applied_version = query->ColumnInt(0);
    const std::string applied_name = query->ColumnText(1);
    const auto known = std::find_if(
        migrations.begin(), migrations.end(),
        [&](const Migration& m) { return m.version == applied_version; });
    if (known == migrations.end() || known->name != applied_name) {
      return absl::InvalidArgumentError(absl::StrCat(
          input_path, " is not a tenant database: it records migration ",
          applied_name, " as version ", applied_version,
          ", which is not a tenant migration of this tenantctl; a copy "
          "of the shared store cannot be restored as a tenant"));
    }
  }
  return absl::OkStatus();
}

// Checks and migrates the copy at `temporary_path` of `input_path`, and
// closes it, so that its WAL is checkpointed into the file.
absl::StatusOr<RestoredDatabase> PrepareCopy(
    const std::string& input_path, const std::string& temporary_path) {
  absl::StatusOr<std::unique_ptr<SqliteConnection>> opened =
      SqliteConnection::Open(temporary_path, SqliteConnection::Options());
  if (!opened.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        input_path,
        " is not a readable SQLite database: ", opened.status().message()));
  }
  std::unique_ptr<SqliteConnection> connection = *std::move(opened);
  absl::StatusOr<std::vector<std::string>> integrity =
      RunCheckPragma(*connection, "integrity_check");
  if (!integrity.ok() || *integrity != std::vector<std::string>{"ok"}) {
    std::string problems =
        integrity.ok()
            ? absl::StrJoin(
                  integrity->begin(),
                  integrity->begin() + std::min<size_t>(3, integrity->size()),
                  "; ")
            : std::string(integrity.status().message());
    return absl::FailedPreconditionError(
        absl::StrCat(input_path, " fails PRAGMA integrity_check (", problems,
                     "); restore from another copy"));
  }
  TENANTRY_ASSIGN_OR_RETURN(const bool has_history,
                            HasTable(*connection, "schema_migrations"));
  if (!has_history) {
    return absl::InvalidArgumentError(absl::StrCat(
        input_path,
        " has no schema_migrations table, so it is not a tenant database"));
  }
  RestoredDatabase restored;
  TENANTRY_ASSIGN_OR_RETURN(restored.version_in_file,
                            ReadSchemaVersion(*connection));
  if (restored.version_in_file == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(input_path,
                     " records no tenant migration, so it is not a tenant "
                     "database"));
  }
  TENANTRY_RETURN_IF_ERROR(
      CheckTenantHistory(*connection, input_path, restored.version_in_file));
  SqliteMigrationBackend backend(connection.get());
  absl::StatusOr<MigrationOutcome> outcome = ApplyMigrations(
      backend, TenantMigrations(), MigrationAtomicity::kAllPending);
  if (!outcome.ok()) {
    return absl::Status(
        outcome.status().code(),
        absl::StrCat("failed to migrate the copy of ", input_path, ": ",
                     outcome.status().message()));
  }
  restored.version_after = outcome->version_after;
  restored.applied = outcome->applied;
  // TenantDatabase::Open skips its history check when user_version is the
  // latest version, so the copy must not carry a wrong one.
  TENANTRY_RETURN_IF_ERROR(connection->ExecuteScript(
      absl::StrCat("PRAGMA user_version = ", restored.version_after)));
  // Closing the only connection checkpoints the WAL into the main file
  // and deletes the -wal and -shm files, so the one file is complete.
  connection.reset();
  return restored;
}

}  // namespace

absl::StatusOr<BackupInfo> BackupDatabaseFile(const std::string& source_path,
                                              const std::string& target_path,
                                              const BackupOptions& options) {
  struct stat info;
  if (!options.replace_existing && stat(target_path.c_str(), &info) == 0) {
    return absl::AlreadyExistsError(
        absl::StrCat(target_path,
                     " already exists; choose another path or allow the "
                     "copy to replace it"));
  }
  SqliteConnection::Options source_options;
  source_options.create_if_missing = false;
  TENANTRY_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteConnection> source,
      SqliteConnection::Open(source_path, source_options));

  const std::string directory = DirectoryOf(target_path);
  struct stat directory_status;
  if (stat(directory.c_str(), &directory_status) != 0 ||
      !S_ISDIR(directory_status.st_mode)) {
    return absl::NotFoundError(
        absl::StrCat("cannot write the copy to ", target_path, " because ",
                     directory, " is not a directory; create it first"));
  }
  // A hidden name in the target's directory, so that the rename stays on
  // one file system and a listing does not show the partial file.
  const std::string temporary_path = absl::StrCat(
      directory, "/.", BaseNameOf(target_path), ".partial-", NewResourceId());
  BackupInfo backup;
  absl::Status status = [&]() -> absl::Status {
    // The first read after BEGIN fixes the snapshot that every backup step
    // then reads. Without an open read transaction each step would take a
    // new one, and SQLite would start the copy over whenever another
    // connection had committed in between.
    TENANTRY_RETURN_IF_ERROR(source->ExecuteScript("BEGIN"));
    TENANTRY_ASSIGN_OR_RETURN(backup.schema_version,
                              ReadSchemaVersion(*source));
    TENANTRY_RETURN_IF_ERROR(
        CopyPages(*source, temporary_path, options, backup));
    TENANTRY_RETURN_IF_ERROR(source->ExecuteScript("COMMIT"));
    TENANTRY_RETURN_IF_ERROR(SyncFile(temporary_path));
    struct stat copied;
    if (stat(temporary_path.c_str(), &copied) != 0) {
      return ErrnoError("read the size of", temporary_path);
    }
    backup.size_bytes = copied.st_size;
    TENANTRY_RETURN_IF_ERROR(
        MoveIntoPlace(temporary_path, target_path, options.replace_existing));
    return SyncDirectory(directory);
  }();
  if (!status.ok()) {
    RemoveDatabaseFiles(temporary_path);
    return status;
  }
  return backup;
}

Sha256Hasher::Sha256Hasher() : context_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(context_, EVP_sha256(), nullptr);
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(context_); }

void Sha256Hasher::Update(absl::string_view data) {
  EVP_DigestUpdate(context_, data.data(), data.size());
}

std::string Sha256Hasher::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_, digest, &length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::StatusOr<std::string> FileSha256(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    }
    return ErrnoError("open", path);
  }
  Sha256Hasher hasher;
  std::string buffer(kFileBufferBytes, '\0');
  while (true) {
    const ssize_t read_bytes = read(fd, buffer.data(), buffer.size());
    if (read_bytes < 0) {
      if (errno == EINTR) continue;
      absl::Status status = ErrnoError("read", path);
      close(fd);
      return status;
    }
    if (read_bytes == 0) break;
    hasher.Update(absl::string_view(buffer.data(), read_bytes));
  }
  close(fd);
  return hasher.HexDigest();
}

absl::StatusOr<RestoredDatabase> RestoreTenantDatabaseFile(
    const std::string& input_path, absl::string_view data_dir,
    absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  struct stat info;
  if (stat(input_path.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat(input_path, " does not exist"));
    }
    return ErrnoError("read", input_path);
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(input_path, " is not a regular file"));
  }
  // The main file alone misses the commits that are only in the WAL.
  if (stat((input_path + "-wal").c_str(), &info) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        input_path, "-wal exists, so ", input_path,
        " may be a live database whose latest commits are only in that "
        "file; make a copy with tenantctl backup and restore the copy"));
  }
  {
    // Every SQLite 3 database file starts with these 16 bytes.
    constexpr char kHeader[] = "SQLite format 3";
    char header[sizeof(kHeader)] = {};
    const int fd = open(input_path.c_str(), O_RDONLY);
    if (fd < 0) return ErrnoError("open", input_path);
    const ssize_t read_bytes = read(fd, header, sizeof(header));
    close(fd);
    if (read_bytes != static_cast<ssize_t>(sizeof(header)) ||
        memcmp(header, kHeader, sizeof(header)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          input_path,
          " is not a SQLite database; restore a file that tenantctl backup "
          "or TenantService.ExportTenant wrote"));
    }
  }

  const std::string path = TenantDatabasePath(data_dir, tenant_id);
  if (stat(path.c_str(), &info) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database file ", path, " of tenant \"", tenant_id,
        "\" already exists; purge the tenant, or move the file away if no "
        "tenant is registered with that id"));
  }
  TENANTRY_RETURN_IF_ERROR(CreateDirectory(std::string(data_dir)));
  const std::string directory = DirectoryOf(path);
  TENANTRY_RETURN_IF_ERROR(CreateDirectory(directory));
  const std::string temporary_path =
      absl::StrCat(path, ".restoring-", NewResourceId());

  absl::StatusOr<RestoredDatabase> restored =
      [&]() -> absl::StatusOr<RestoredDatabase> {
    TENANTRY_RETURN_IF_ERROR(CopyFile(input_path, temporary_path));
    TENANTRY_ASSIGN_OR_RETURN(RestoredDatabase result,
                              PrepareCopy(input_path, temporary_path));
    TENANTRY_RETURN_IF_ERROR(SyncFile(temporary_path));
    // A -wal file left at the path by an earlier database would be
    // replayed into this one.
    for (const char* suffix : {"-wal", "-shm"}) {
      TENANTRY_RETURN_IF_ERROR(RemoveIfPresent(path + suffix));
    }
    absl::Status placed =
        MoveIntoPlace(temporary_path, path, /*replace_existing=*/false);
    if (absl::IsAlreadyExists(placed)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the database file ", path, " of tenant \"", tenant_id,
                       "\" appeared during the restore; nothing was restored"));
    }
    TENANTRY_RETURN_IF_ERROR(placed);
    absl::Status synced = SyncDirectory(directory);
    if (!synced.ok()) {
      RemoveDatabaseFiles(path);
      return synced;
    }
    return result;
  }();
  if (!restored.ok()) RemoveDatabaseFiles(temporary_path);
  return restored;
}

}  // namespace tenantry::storage
