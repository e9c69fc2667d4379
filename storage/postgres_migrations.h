#ifndef TENANTRY_STORAGE_POSTGRES_MIGRATIONS_H_
#define TENANTRY_STORAGE_POSTGRES_MIGRATIONS_H_

// Migrations of a shared store on PostgreSQL, in both directions, for
// tools that change the schema outside of PostgresSharedStore::Migrate().

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/migrations.h"

namespace tenantry::storage {

// The key of the PostgreSQL advisory lock that serializes schema changes
// of one database across processes. PostgresSharedStore::Migrate() takes
// the lock with the same number, 7294011, so a server that starts during a
// `tenantctl migrate down` waits for it instead of migrating up halfway.
inline constexpr int64_t kPostgresMigrationLockKey = 7294011;

// Migrations on one PostgreSQL connection. DDL is transactional in
// PostgreSQL, so a failed migration or revert leaves nothing behind. Not
// thread-safe, like the connection.
class PostgresMigrationBackend : public MigrationBackend {
 public:
  // `password` is removed from error messages.
  PostgresMigrationBackend(pqxx::connection& connection,
                           absl::string_view password)
      : connection_(connection), password_(password) {}

  absl::StatusOr<std::vector<AppliedMigration>> LoadHistory() override;
  absl::Status Apply(const Migration& migration) override;
  absl::Status ApplyAll(
      const std::vector<const Migration*>& migrations) override;
  absl::Status Revert(const Migration& migration,
                      int64_t version_after) override;

 private:
  pqxx::connection& connection_;
  const std::string password_;
};

// Holds the session-level advisory lock kPostgresMigrationLockKey on a
// connection until destruction.
class PostgresMigrationLock {
 public:
  // Waits for the lock. Returns the error if it cannot be taken.
  static absl::StatusOr<PostgresMigrationLock> Acquire(
      pqxx::connection& connection, absl::string_view password);

  PostgresMigrationLock(PostgresMigrationLock&& other) noexcept
      : connection_(other.connection_) {
    other.connection_ = nullptr;
  }
  PostgresMigrationLock& operator=(PostgresMigrationLock&&) = delete;
  ~PostgresMigrationLock();

 private:
  explicit PostgresMigrationLock(pqxx::connection* connection)
      : connection_(connection) {}

  pqxx::connection* connection_;
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_POSTGRES_MIGRATIONS_H_
