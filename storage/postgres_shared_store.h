#ifndef TENANTRY_STORAGE_POSTGRES_SHARED_STORE_H_
#define TENANTRY_STORAGE_POSTGRES_SHARED_STORE_H_

#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "storage/postgres_pool.h"
#include "storage/shared_store.h"

namespace tenantry::storage {

// The shared store on PostgreSQL through libpqxx, for deployments where
// several servers share one registry. Thread-safe: each call leases a
// connection from a bounded pool. Transactions that fail with a
// serialization failure or deadlock, or on a connection that broke before
// commit, are retried up to kMaxAttempts times, then return ABORTED or
// UNAVAILABLE.
class PostgresSharedStore : public SharedStore {
 public:
  static constexpr int kMaxAttempts = 3;

  struct Options {
    // postgresql://user:password@host:port/database
    std::string url;
    // Maximum number of connections.
    size_t pool_size = 4;
    // How long a call waits for a free connection.
    absl::Duration acquire_timeout = absl::Seconds(5);
  };

  // Does not connect; the first call does. Migrate() creates the tables.
  explicit PostgresSharedStore(const Options& options);

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

  PostgresPool& pool() { return pool_; }

 private:
  // Runs `body` in a transaction on a leased connection and commits it if
  // `body` returns OK. Exceptions become statuses through PostgresError;
  // retryable failures run `body` again.
  absl::Status Transact(absl::string_view action,
                        const std::function<absl::Status(pqxx::work&)>& body);

  // Runs `body` with a leased connection outside any transaction.
  absl::Status WithConnection(
      absl::string_view action,
      const std::function<absl::Status(pqxx::connection&)>& body);

  PostgresPool pool_;
  const std::string password_;
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_POSTGRES_SHARED_STORE_H_
