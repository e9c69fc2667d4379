#ifndef TENANTRY_STORAGE_MIGRATIONS_H_
#define TENANTRY_STORAGE_MIGRATIONS_H_

// Versioned schema migrations. Each store keeps a `schema_migrations` table
// with the version, file name and checksum of every applied migration.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/sqlite.h"

namespace tenantry::storage {

struct Migration {
  int64_t version;
  // The file name, for example `0001_create_tenants_and_users.up.sql`.
  std::string name;
  std::string sql;
  // The SQL of the down file, NNNN_name.down.sql, that undoes `sql`;
  // empty if the migration has no down file. The checksum covers only
  // `sql`, so adding a down file later changes no recorded checksum.
  std::optional<std::string> down_sql;
};

// Returns the name of the down file of `migration`, for example
// `0001_create_tenants_and_users.down.sql`.
std::string DownFileName(const Migration& migration);

// The migrations under migrations/shared and migrations/tenant, in version
// order, compiled into the binary.
const std::vector<Migration>& SharedMigrations();
const std::vector<Migration>& TenantMigrations();

// Returns the StableChecksum of `sql`, which detects edits to an applied
// migration.
std::string MigrationChecksum(absl::string_view sql);

struct AppliedMigration {
  int64_t version;
  std::string name;
  std::string checksum;
};

// A database that migrations are applied to.
class MigrationBackend {
 public:
  virtual ~MigrationBackend() = default;

  // Creates the history table if it is missing and returns the applied
  // migrations in version order.
  virtual absl::StatusOr<std::vector<AppliedMigration>> LoadHistory() = 0;

  // Runs `migration` and records it in the history within one
  // transaction, so that a failure leaves no trace.
  virtual absl::Status Apply(const Migration& migration) = 0;

  // Runs and records all of `migrations`, in order, within one
  // transaction: either all are applied or none is.
  virtual absl::Status ApplyAll(
      const std::vector<const Migration*>& migrations) = 0;

  // Runs `migration.down_sql` and deletes the migration's history row
  // within one transaction, so that a failure leaves no trace.
  // `version_after` is the highest version that stays applied. The
  // default returns UNIMPLEMENTED, for backends that only migrate up.
  virtual absl::Status Revert(const Migration& migration,
                              int64_t version_after);
};

// Migrations on one SQLite database. Not thread-safe, like the connection.
class SqliteMigrationBackend : public MigrationBackend {
 public:
  explicit SqliteMigrationBackend(SqliteConnection* connection)
      : connection_(connection) {}

  absl::StatusOr<std::vector<AppliedMigration>> LoadHistory() override;
  absl::Status Apply(const Migration& migration) override;
  absl::Status ApplyAll(
      const std::vector<const Migration*>& migrations) override;
  // Also sets PRAGMA user_version to `version_after`.
  absl::Status Revert(const Migration& migration,
                      int64_t version_after) override;

 private:
  // Runs and records one migration inside the caller's transaction.
  absl::Status Run(const Migration& migration);

  SqliteConnection* connection_;
};

struct MigrationStatus {
  // The highest applied version; 0 for a new database.
  int64_t current_version = 0;
  // The highest version compiled into this binary.
  int64_t latest_version = 0;
};

struct MigrationOutcome {
  int64_t version_before = 0;
  int64_t version_after = 0;
  // Names of the migrations applied by this call, in order.
  std::vector<std::string> applied;
};

// Compares the history with `migrations`. Returns FAILED_PRECONDITION if an
// applied migration's checksum changed (naming the file) or if the
// database has a version this binary does not know.
absl::StatusOr<MigrationStatus> CheckMigrations(
    MigrationBackend& backend, const std::vector<Migration>& migrations);

enum class MigrationAtomicity {
  // Each migration commits on its own; a failure keeps the ones before it.
  kEachMigration,
  // All pending migrations commit together; a failure leaves the database
  // exactly at its previous version.
  kAllPending,
};

// Checks the history like CheckMigrations, then applies the pending
// migrations in version order. Returns the first failure with the file
// name.
absl::StatusOr<MigrationOutcome> ApplyMigrations(
    MigrationBackend& backend, const std::vector<Migration>& migrations,
    MigrationAtomicity atomicity = MigrationAtomicity::kEachMigration);

// Returns the highest version in the history, without checking it against
// any migrations; 0 for a new database.
absl::StatusOr<int64_t> AppliedVersion(MigrationBackend& backend);

// Checks the history like CheckMigrations, then reverts every applied
// migration above `target_version`, highest first, each in its own
// transaction through MigrationBackend::Revert. Calls `on_reverted`, if
// set, after each one commits. Before it changes anything, returns
// FAILED_PRECONDITION naming the first missing down file, and
// INVALID_ARGUMENT for a negative target or one above the latest version. A
// failure keeps the reverts before it, and the message names the down file that
// failed. MigrationOutcome::applied lists the reverted migrations, in order.
absl::StatusOr<MigrationOutcome> RevertMigrations(
    MigrationBackend& backend, const std::vector<Migration>& migrations,
    int64_t target_version,
    const std::function<void(const Migration&)>& on_reverted = nullptr);

// Reads the migrations of one track from the files NNNN_name.up.sql in
// `directory`, in version order, each with its NNNN_name.down.sql if
// there is one. Returns INVALID_ARGUMENT naming a file with another name,
// a repeated version, or a down file without its up file, or if there is
// no up file, and NOT_FOUND if the directory cannot be read.
absl::StatusOr<std::vector<Migration>> LoadMigrationsFromDirectory(
    const std::string& directory);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_MIGRATIONS_H_
