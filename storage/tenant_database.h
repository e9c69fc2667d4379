#ifndef TENANTRY_STORAGE_TENANT_DATABASE_H_
#define TENANTRY_STORAGE_TENANT_DATABASE_H_

// One tenant's SQLite database file and the functions that create, check
// and remove such files under a data directory.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/migrations.h"
#include "storage/sqlite.h"

namespace tenantry::storage {

// An open tenant database. Thread-safe: calls through Run() take turns on
// the one connection, which also serializes the tenant's writers, so that
// SQLite never reports "database is locked" between them.
class TenantDatabase {
 public:
  // Opens the existing database of `tenant_id` at `path`. Returns NOT_FOUND
  // if the file is missing and FAILED_PRECONDITION if its schema is not at
  // the latest tenant migration.
  static absl::StatusOr<std::unique_ptr<TenantDatabase>> Open(
      std::string tenant_id, const std::string& path,
      const SqliteConnection::Options& options);

  const std::string& tenant_id() const { return tenant_id_; }

  // Runs `body` with exclusive use of the connection and returns its
  // result.
  template <typename Body>
  auto Run(Body&& body) {
    absl::MutexLock lock(&mutex_);
    return body(*connection_);
  }

 private:
  TenantDatabase(std::string tenant_id,
                 std::unique_ptr<SqliteConnection> connection)
      : tenant_id_(std::move(tenant_id)), connection_(std::move(connection)) {}

  const std::string tenant_id_;
  absl::Mutex mutex_;
  std::unique_ptr<SqliteConnection> connection_ ABSL_GUARDED_BY(mutex_);
};

struct DatabaseHealth {
  // The highest applied tenant migration.
  int64_t schema_version = 0;
  // The output of PRAGMA quick_check: "ok" for a healthy database.
  std::string quick_check;
};

// Runs PRAGMA quick_check and reads the schema version.
absl::StatusOr<DatabaseHealth> CheckDatabaseHealth(TenantDatabase& database);

// Creates the directory `path` unless it exists; its parent must exist.
// Returns INTERNAL if `path` cannot be created or is not a directory.
absl::Status CreateDirectory(const std::string& path);

// Returns `<data_dir>/tenants/<tenant_id>.db`. `tenant_id` must have passed
// ValidateTenantId.
std::string TenantDatabasePath(absl::string_view data_dir,
                               absl::string_view tenant_id);

// Creates the tenant's database, fully migrated, at TenantDatabasePath.
// The file is built under a temporary name and renamed into place, so the
// path has either nothing or a complete database. An older file at the
// path is replaced. Returns the migration error, or INTERNAL if the
// directory cannot be written.
absl::Status CreateTenantDatabaseFile(absl::string_view data_dir,
                                      absl::string_view tenant_id);

// Removes the tenant's database and its -wal and -shm files. Missing files
// are not an error. Returns INTERNAL naming the file that could not be
// removed.
absl::Status RemoveTenantDatabaseFiles(absl::string_view data_dir,
                                       absl::string_view tenant_id);

// Applies the pending `migrations` to the existing database at `path` in
// one transaction, so that a failure leaves it at its previous version.
absl::StatusOr<MigrationOutcome> MigrateTenantDatabaseFile(
    const std::string& path, const std::vector<Migration>& migrations);

// Reports the versions of the database at `path` against `migrations`.
absl::StatusOr<MigrationStatus> GetTenantMigrationStatus(
    const std::string& path, const std::vector<Migration>& migrations);

// Returns the highest applied migration version of the database at `path`,
// without checking checksums.
absl::StatusOr<int64_t> GetTenantAppliedVersion(const std::string& path);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_TENANT_DATABASE_H_
