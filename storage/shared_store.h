#ifndef TENANTRY_STORAGE_SHARED_STORE_H_
#define TENANTRY_STORAGE_SHARED_STORE_H_

// The shared store: the tenant registry and the user directory, common to
// all tenants. Implementations: SQLite (the embedded default) and
// PostgreSQL.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/migrations.h"
#include "storage/records.h"
#include "storage/request_ids.h"

namespace tenantry::storage {

// Changes a record in place inside an update transaction. A non-OK status
// aborts the update and is returned to the caller unchanged.
template <typename Record>
using Mutation = std::function<absl::Status(Record&)>;

// A create in the shared store that carried a request_id (AIP-155).
struct RequestRecord {
  std::string method;
  std::string request_id;
  // Lowercase hex SHA-256 of the request without its request_id.
  std::string request_sha256;
  // The id of the tenant or user created. Empty while the CreateTenant
  // that reserved the record has not registered its tenant, which also
  // happens when that CreateTenant failed or crashed halfway.
  std::string resource_id;
  absl::Time create_time;
};

// Returns the ALREADY_EXISTS of a request_id that an earlier, different
// `method` request used.
inline absl::Status RequestIdConflictError(absl::string_view method,
                                           absl::string_view request_id) {
  return absl::AlreadyExistsError(absl::StrCat(
      "request_id \"", request_id, "\" was already used by a different ",
      method,
      " request; send a new request_id for a new request, or repeat the "
      "first request unchanged to get its result"));
}

// Returns the ABORTED of a create whose request record another process
// deleted or finished while the create ran.
inline absl::Status UnreservedRequestError(const RequestKey& request) {
  return absl::AbortedError(absl::StrCat(
      "the record of request_id \"", request.request_id, "\" for ",
      request.method,
      " changed while the request ran; repeat the request unchanged"));
}

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

  // Returns tenants ordered by id, soft-deleted ones only if
  // `show_deleted`.
  virtual absl::StatusOr<Page<TenantRecord>> ListTenants(
      const PageRequest& page, bool show_deleted) = 0;

  // Returns every tenant ordered by id, soft-deleted ones included.
  absl::StatusOr<Page<TenantRecord>> ListTenants(const PageRequest& page) {
    return ListTenants(page, /*show_deleted=*/true);
  }

  // Returns the soft-deleted tenants whose purge_time is at or before
  // `now`, ordered by id.
  virtual absl::StatusOr<Page<TenantRecord>> ListPurgeableTenants(
      absl::Time now, const PageRequest& page) = 0;

  // Reads the tenant, applies `mutation`, and writes it back with a new
  // revision and update time, atomically. Returns NOT_FOUND, or the
  // mutation's error.
  virtual absl::StatusOr<TenantRecord> UpdateTenant(
      absl::string_view id, const Mutation<TenantRecord>& mutation) = 0;

  // Returns NOT_FOUND if there is no such tenant.
  virtual absl::Status DeleteTenant(absl::string_view id) = 0;

  // Like CreateTenant, and sets the resource of the record that
  // ReserveRequest made for `request` to the tenant, in one transaction.
  // Returns UnreservedRequestError if that record is missing, differs or
  // already names a resource.
  virtual absl::StatusOr<TenantRecord> CreateTenantForRequest(
      const TenantRecord& tenant, const RequestKey& request) = 0;

  // Returns the record of `request_id` for `method`, or std::nullopt.
  virtual absl::StatusOr<std::optional<RequestRecord>> FindRequestRecord(
      absl::string_view method, absl::string_view request_id) = 0;

  // Records `request` with an empty resource id and create_time now,
  // unless a record of its method and request_id exists. Returns whether
  // it inserted one.
  virtual absl::StatusOr<bool> ReserveRequest(const RequestKey& request) = 0;

  // Deletes the request records created before `time`, reserved ones
  // included, and returns how many it deleted.
  virtual absl::StatusOr<int64_t> DeleteRequestRecordsBefore(
      absl::Time time) = 0;

  // Inserts a user with the given id. Returns ALREADY_EXISTS if the id or
  // the email, ignoring ASCII letter case, is taken.
  virtual absl::StatusOr<UserRecord> CreateUser(const UserRecord& user) = 0;

  // Like CreateUser, and records that `request` created the user, in one
  // transaction. If `request` is recorded already, inserts nothing and
  // returns the user it created, or ALREADY_EXISTS naming the request_id
  // if that request was a different one. Concurrent calls with the same
  // request return the same user.
  virtual absl::StatusOr<UserRecord> CreateUserForRequest(
      const UserRecord& user, const RequestKey& request) = 0;

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
