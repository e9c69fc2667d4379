#include "storage/postgres_migrations.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/postgres_pool.h"

namespace tenantry::storage {

absl::StatusOr<std::vector<AppliedMigration>>
PostgresMigrationBackend::LoadHistory() {
  try {
    pqxx::nontransaction work(connection_);
    work.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT "
        "PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
        "applied_time BIGINT NOT NULL)");
    std::vector<AppliedMigration> history;
    for (const pqxx::row& row :
         work.exec("SELECT version, name, checksum FROM schema_migrations "
                   "ORDER BY version")) {
      history.push_back({row[0].as<int64_t>(), row[1].as<std::string>(),
                         row[2].as<std::string>()});
    }
    return history;
  } catch (const std::exception& error) {
    return PostgresError(error, "failed to read the migration history",
                         password_);
  }
}

absl::Status PostgresMigrationBackend::Apply(const Migration& migration) {
  return ApplyAll({&migration});
}

absl::Status PostgresMigrationBackend::ApplyAll(
    const std::vector<const Migration*>& migrations) {
  const Migration* current = nullptr;
  try {
    pqxx::work work(connection_);
    for (const Migration* migration : migrations) {
      current = migration;
      work.exec(migration->sql);
      work.exec_params(
          "INSERT INTO schema_migrations (version, name, checksum, "
          "applied_time) VALUES ($1, $2, $3, $4)",
          migration->version, migration->name,
          MigrationChecksum(migration->sql), absl::ToUnixMicros(absl::Now()));
    }
    work.commit();
    return absl::OkStatus();
  } catch (const std::exception& error) {
    return PostgresError(
        error,
        absl::StrCat("failed to apply ",
                     current != nullptr ? current->name : "migrations"),
        password_);
  }
}

absl::Status PostgresMigrationBackend::Revert(const Migration& migration,
                                              int64_t /*version_after*/) {
  if (!migration.down_sql.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(DownFileName(migration), " is missing"));
  }
  try {
    pqxx::work work(connection_);
    work.exec(*migration.down_sql);
    work.exec_params("DELETE FROM schema_migrations WHERE version = $1",
                     migration.version);
    work.commit();
    return absl::OkStatus();
  } catch (const std::exception& error) {
    return PostgresError(
        error, absl::StrCat("failed to run ", DownFileName(migration)),
        password_);
  }
}

absl::StatusOr<PostgresMigrationLock> PostgresMigrationLock::Acquire(
    pqxx::connection& connection, absl::string_view password) {
  try {
    pqxx::nontransaction(connection)
        .exec_params("SELECT pg_advisory_lock($1)", kPostgresMigrationLockKey);
  } catch (const std::exception& error) {
    return PostgresError(error, "failed to take the migration lock", password);
  }
  return PostgresMigrationLock(&connection);
}

PostgresMigrationLock::~PostgresMigrationLock() {
  if (connection_ == nullptr) return;
  try {
    pqxx::nontransaction(*connection_)
        .exec_params("SELECT pg_advisory_unlock($1)",
                     kPostgresMigrationLockKey);
  } catch (const std::exception&) {
    // PostgreSQL releases a session lock when the connection closes, and
    // a failed unlock means that the connection is broken.
  }
}

}  // namespace tenantry::storage
