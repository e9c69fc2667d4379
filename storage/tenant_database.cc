#include "storage/tenant_database.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::storage {
namespace {

// Describes the failure in `errno`; call it right after the failed call.
absl::Status ErrnoError(absl::string_view action, absl::string_view path) {
  const int error_number = errno;
  return absl::InternalError(absl::StrCat("failed to ", action, " ", path, ": ",
                                          strerror(error_number)));
}

}  // namespace

absl::Status CreateDirectory(const std::string& path) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) {
    struct stat info;
    if (stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
      return absl::OkStatus();
    }
    errno = ENOTDIR;
  }
  return ErrnoError("create directory", path);
}

namespace {

// Makes a rename inside `directory` durable.
absl::Status SyncDirectory(const std::string& directory) {
  const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoError("open directory", directory);
  const int result = fsync(fd);
  close(fd);
  if (result != 0) return ErrnoError("sync directory", directory);
  return absl::OkStatus();
}

absl::Status RemoveIfPresent(const std::string& path) {
  if (unlink(path.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  return ErrnoError("remove", path);
}

std::string TenantDirectory(absl::string_view data_dir) {
  return absl::StrCat(data_dir, "/tenants");
}

}  // namespace

absl::StatusOr<std::unique_ptr<TenantDatabase>> TenantDatabase::Open(
    std::string tenant_id, const std::string& path,
    const SqliteConnection::Options& options) {
  TENANTRY_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection,
                            SqliteConnection::Open(path, options));
  SqliteMigrationBackend backend(connection.get());
  TENANTRY_ASSIGN_OR_RETURN(const MigrationStatus status,
                            CheckMigrations(backend, TenantMigrations()));
  if (status.current_version != status.latest_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database of tenant \"", tenant_id, "\" is at schema version ",
        status.current_version, " but this server needs version ",
        status.latest_version, "; run tenantctl migrate tenants --tenant=",
        tenant_id, " with this server's --data_dir and --shared_db"));
  }
  return std::unique_ptr<TenantDatabase>(
      new TenantDatabase(std::move(tenant_id), std::move(connection)));
}

absl::StatusOr<DatabaseHealth> CheckDatabaseHealth(TenantDatabase& database) {
  return database.Run(
      [](SqliteConnection& connection) -> absl::StatusOr<DatabaseHealth> {
        DatabaseHealth health;
        SqliteMigrationBackend backend(&connection);
        TENANTRY_ASSIGN_OR_RETURN(const MigrationStatus status,
                                  CheckMigrations(backend, TenantMigrations()));
        health.schema_version = status.current_version;
        TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                                  connection.Prepare("PRAGMA quick_check"));
        StatementLease check(statement);
        std::vector<std::string> lines;
        while (true) {
          TENANTRY_ASSIGN_OR_RETURN(const bool has_row, check->Step());
          if (!has_row) break;
          lines.push_back(check->ColumnText(0));
        }
        health.quick_check = absl::StrJoin(lines, "\n");
        return health;
      });
}

std::string TenantDatabasePath(absl::string_view data_dir,
                               absl::string_view tenant_id) {
  return absl::StrCat(TenantDirectory(data_dir), "/", tenant_id, ".db");
}

absl::Status CreateTenantDatabaseFile(absl::string_view data_dir,
                                      absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  const std::string directory = TenantDirectory(data_dir);
  TENANTRY_RETURN_IF_ERROR(CreateDirectory(std::string(data_dir)));
  TENANTRY_RETURN_IF_ERROR(CreateDirectory(directory));
  const std::string path = TenantDatabasePath(data_dir, tenant_id);
  // The random part keeps two creators of one id from sharing a file.
  const std::string temporary_path =
      absl::StrCat(path, ".creating-", NewResourceId());

  absl::Status status = [&]() -> absl::Status {
    SqliteConnection::Options options;
    options.create_if_missing = true;
    TENANTRY_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection,
                              SqliteConnection::Open(temporary_path, options));
    SqliteMigrationBackend backend(connection.get());
    TENANTRY_RETURN_IF_ERROR(
        ApplyMigrations(backend, TenantMigrations()).status());
    // Closing the last connection checkpoints the WAL into the main file
    // and deletes the -wal and -shm files, so one rename moves everything.
    connection.reset();
    // A -wal file left by an earlier database at this path would be
    // replayed into the new one.
    for (const char* suffix : {"-wal", "-shm"}) {
      TENANTRY_RETURN_IF_ERROR(RemoveIfPresent(path + suffix));
    }
    if (rename(temporary_path.c_str(), path.c_str()) != 0) {
      return ErrnoError("rename a new database to", path);
    }
    return SyncDirectory(directory);
  }();
  if (!status.ok()) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      RemoveIfPresent(temporary_path + suffix).IgnoreError();
    }
  }
  return status;
}

absl::Status RemoveTenantDatabaseFiles(absl::string_view data_dir,
                                       absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(ValidateTenantId(tenant_id));
  const std::string path = TenantDatabasePath(data_dir, tenant_id);
  // The main file goes first: without it, leftover -wal and -shm files are
  // ignored and a later create replaces them.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    TENANTRY_RETURN_IF_ERROR(RemoveIfPresent(path + suffix));
  }
  return SyncDirectory(TenantDirectory(data_dir));
}

absl::StatusOr<MigrationOutcome> MigrateTenantDatabaseFile(
    const std::string& path, const std::vector<Migration>& migrations) {
  TENANTRY_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteConnection> connection,
      SqliteConnection::Open(path, SqliteConnection::Options()));
  SqliteMigrationBackend backend(connection.get());
  return ApplyMigrations(backend, migrations, MigrationAtomicity::kAllPending);
}

absl::StatusOr<MigrationStatus> GetTenantMigrationStatus(
    const std::string& path, const std::vector<Migration>& migrations) {
  TENANTRY_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteConnection> connection,
      SqliteConnection::Open(path, SqliteConnection::Options()));
  SqliteMigrationBackend backend(connection.get());
  return CheckMigrations(backend, migrations);
}

absl::StatusOr<int64_t> GetTenantAppliedVersion(const std::string& path) {
  TENANTRY_ASSIGN_OR_RETURN(
      std::unique_ptr<SqliteConnection> connection,
      SqliteConnection::Open(path, SqliteConnection::Options()));
  SqliteMigrationBackend backend(connection.get());
  return AppliedVersion(backend);
}

}  // namespace tenantry::storage
