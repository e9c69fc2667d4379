#ifndef TENANTRY_STORAGE_SHARED_STORE_H_
#define TENANTRY_STORAGE_SHARED_STORE_H_

// The shared store: the tenant registry and the user directory, common to
// all tenants. Implementations: SQLite (the embedded default) and
// PostgreSQL.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/migrations.h"
#include "storage/records.h"

namespace tenantry::storage {

// Changes a record in place inside an update transaction. A non-OK status
// aborts the update and is returned to the caller unchanged.
template <typename Record>
using Mutation = std::function<absl::Status(Record&)>;

// Implementations are thread-safe.
class SharedStore {
 public:
  virtual ~SharedStore() = default;

  // Inserts a tenant with revision 1 and both times set to now. Returns
  // ALREADY_EXISTS if the id is taken.
  virtual absl::StatusOr<TenantRecord> CreateTenant(
      const TenantRecord& tenant) = 0;

  // Returns NOT_FOUND if there is no such tenant.
  virtual absl::StatusOr<TenantRecord> GetTenant(absl::string_view id) = 0;

  // Returns tenants ordered by id.
  virtual absl::StatusOr<Page<TenantRecord>> ListTenants(
      const PageRequest& page) = 0;

  // Reads the tenant, applies `mutation`, and writes it back with a new
  // revision and update time, atomically. Returns NOT_FOUND, or the
  // mutation's error.
  virtual absl::StatusOr<TenantRecord> UpdateTenant(
      absl::string_view id, const Mutation<TenantRecord>& mutation) = 0;

  // Returns NOT_FOUND if there is no such tenant.
  virtual absl::Status DeleteTenant(absl::string_view id) = 0;

  // Inserts a user with the given id. Returns ALREADY_EXISTS if the id or
  // the email, ignoring ASCII letter case, is taken.
  virtual absl::StatusOr<UserRecord> CreateUser(const UserRecord& user) = 0;

  // Returns NOT_FOUND if there is no such user.
  virtual absl::StatusOr<UserRecord> GetUser(absl::string_view id) = 0;

  // Returns the user with `email`, ignoring ASCII letter case, or
  // NOT_FOUND.
  virtual absl::StatusOr<UserRecord> FindUserByEmail(
      absl::string_view email) = 0;

  // Returns users ordered by id, which is creation order.
  virtual absl::StatusOr<Page<UserRecord>> ListUsers(
      const PageRequest& page) = 0;

  // Like UpdateTenant. Returns ALREADY_EXISTS if the new email is taken.
  virtual absl::StatusOr<UserRecord> UpdateUser(
      absl::string_view id, const Mutation<UserRecord>& mutation) = 0;

  // Inserts an API key with create_time set to now. Returns NOT_FOUND if
  // its tenant does not exist.
  virtual absl::StatusOr<ApiKeyRecord> CreateApiKey(
      const ApiKeyRecord& key) = 0;

  // Returns NOT_FOUND if there is no key with `id`, of any tenant.
  virtual absl::StatusOr<ApiKeyRecord> GetApiKey(absl::string_view id) = 0;

  // Returns the tenant's keys ordered by id, which is creation order.
  virtual absl::StatusOr<Page<ApiKeyRecord>> ListApiKeys(
      absl::string_view tenant_id, const PageRequest& page) = 0;

  // Returns NOT_FOUND if the tenant has no key with `id`. DeleteTenant
  // deletes the tenant's keys too.
  virtual absl::Status DeleteApiKey(absl::string_view tenant_id,
                                    absl::string_view id) = 0;

  // Applies the pending shared migrations.
  virtual absl::StatusOr<MigrationOutcome> Migrate() = 0;

  // Reports the applied and latest shared migration versions.
  virtual absl::StatusOr<MigrationStatus> GetMigrationStatus() = 0;
};

struct SharedStoreOptions {
  // Maximum number of PostgreSQL connections; SQLite uses one.
  size_t pool_size = 4;
};

// Opens the shared store named by `url`: `sqlite:PATH` for a SQLite file,
// created if missing, or `postgresql://user:password@host:port/database`
// for PostgreSQL, connected on first use. Does not migrate. Returns
// INVALID_ARGUMENT for any other scheme.
absl::StatusOr<std::unique_ptr<SharedStore>> OpenSharedStore(
    absl::string_view url, const SharedStoreOptions& options = {});

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_SHARED_STORE_H_
