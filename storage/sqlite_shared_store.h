#ifndef TENANTRY_STORAGE_SQLITE_SHARED_STORE_H_
#define TENANTRY_STORAGE_SQLITE_SHARED_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "storage/shared_store.h"
#include "storage/sqlite.h"

namespace tenantry::storage {

// The shared store in one SQLite file, for a single machine. Thread-safe:
// one connection serves all calls, one at a time.
class SqliteSharedStore : public SharedStore {
 public:
  // Opens or creates the file at `path`. Does not migrate it.
  static absl::StatusOr<std::unique_ptr<SqliteSharedStore>> Open(
      const std::string& path);

  absl::StatusOr<TenantRecord> CreateTenant(
      const TenantRecord& tenant) override;
  absl::StatusOr<TenantRecord> GetTenant(absl::string_view id) override;
  using SharedStore::ListTenants;
  absl::StatusOr<Page<TenantRecord>> ListTenants(const PageRequest& page,
                                                 bool show_deleted) override;
  absl::StatusOr<Page<TenantRecord>> ListPurgeableTenants(
      absl::Time now, const PageRequest& page) override;
  absl::StatusOr<TenantRecord> UpdateTenant(
      absl::string_view id, const Mutation<TenantRecord>& mutation) override;
  absl::Status DeleteTenant(absl::string_view id) override;
  absl::StatusOr<TenantRecord> CreateTenantForRequest(
      const TenantRecord& tenant, const RequestKey& request) override;
  absl::StatusOr<std::optional<RequestRecord>> FindRequestRecord(
      absl::string_view method, absl::string_view request_id) override;
  absl::StatusOr<bool> ReserveRequest(const RequestKey& request) override;
  absl::StatusOr<int64_t> DeleteRequestRecordsBefore(absl::Time time) override;

  absl::StatusOr<UserRecord> CreateUser(const UserRecord& user) override;
  absl::StatusOr<UserRecord> CreateUserForRequest(
      const UserRecord& user, const RequestKey& request) override;
  absl::StatusOr<UserRecord> GetUser(absl::string_view id) override;
  absl::StatusOr<UserRecord> FindUserByEmail(absl::string_view email) override;
  absl::StatusOr<Page<UserRecord>> ListUsers(const PageRequest& page) override;
  absl::StatusOr<UserRecord> UpdateUser(
      absl::string_view id, const Mutation<UserRecord>& mutation) override;

  absl::StatusOr<ApiKeyRecord> CreateApiKey(const ApiKeyRecord& key) override;
  absl::StatusOr<ApiKeyRecord> GetApiKey(absl::string_view id) override;
  absl::StatusOr<Page<ApiKeyRecord>> ListApiKeys(
      absl::string_view tenant_id, const PageRequest& page) override;
  absl::Status DeleteApiKey(absl::string_view tenant_id,
                            absl::string_view id) override;

  absl::StatusOr<MigrationOutcome> Migrate() override;
  absl::StatusOr<MigrationStatus> GetMigrationStatus() override;

 private:
  explicit SqliteSharedStore(std::unique_ptr<SqliteConnection> connection)
      : connection_(std::move(connection)) {}

  absl::StatusOr<TenantRecord> GetTenantLocked(absl::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<UserRecord> GetUserLocked(absl::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  absl::Mutex mutex_;
  std::unique_ptr<SqliteConnection> connection_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_SQLITE_SHARED_STORE_H_
