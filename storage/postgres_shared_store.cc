#include "storage/postgres_shared_store.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/postgres_migrations.h"
#include "storage/shared_store_rows.h"
#include "storage/status_macros.h"

namespace tenantry::storage {
namespace {

constexpr char kTenantColumns[] =
    "id, display_name, state, create_time, update_time, revision, "
    "delete_time, purge_time, max_profiles, max_documents, "
    "max_document_bytes";
// kTenantColumns as ReadTenant reads them: unset times read as 0.
constexpr char kTenantSelect[] =
    "id, display_name, state, create_time, update_time, revision, "
    "COALESCE(delete_time, 0), COALESCE(purge_time, 0), max_profiles, "
    "max_documents, max_document_bytes";
constexpr char kUserColumns[] =
    "id, email, display_name, create_time, update_time, revision";
constexpr char kApiKeyColumns[] =
    "id, tenant_id, display_name, secret_sha256, create_time";
constexpr char kRequestColumns[] =
    "method, request_id, request_sha256, resource_id, create_time";

std::vector<std::pair<std::string, std::string>> PreparedStatements() {
  const std::string tenants = kTenantSelect;
  const std::string users = kUserColumns;
  const std::string api_keys = kApiKeyColumns;
  return {
      // Without the casts PostgreSQL types the NULLIF parameters as
      // integer, after the 0, and rejects times in microseconds.
      {"insert_tenant",
       std::string("INSERT INTO tenants (") + kTenantColumns +
           ") VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7::bigint, 0), "
           "NULLIF($8::bigint, 0), $9, $10, $11)"},
      {"get_tenant", "SELECT " + tenants + " FROM tenants WHERE id = $1"},
      {"lock_tenant",
       "SELECT " + tenants + " FROM tenants WHERE id = $1 FOR UPDATE"},
      {"list_tenants", "SELECT " + tenants +
                           " FROM tenants WHERE id > $1 ORDER BY id LIMIT $2"},
      {"list_live_tenants",
       "SELECT " + tenants +
           " FROM tenants WHERE id > $1 AND delete_time IS NULL ORDER BY id "
           "LIMIT $2"},
      {"list_purgeable_tenants",
       "SELECT " + tenants +
           " FROM tenants WHERE delete_time IS NOT NULL AND purge_time <= $1 "
           "AND id > $2 ORDER BY id LIMIT $3"},
      {"find_request", std::string("SELECT ") + kRequestColumns +
                           " FROM request_ids WHERE method = $1 AND "
                           "request_id = $2"},
      // Waits for a concurrent transaction that inserted the same key, and
      // inserts nothing if that one commits.
      {"insert_request", std::string("INSERT INTO request_ids (") +
                             kRequestColumns +
                             ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT "
                             "(method, request_id) DO NOTHING"},
      {"finish_request",
       "UPDATE request_ids SET resource_id = $4 WHERE method = $1 AND "
       "request_id = $2 AND request_sha256 = $3 AND resource_id = ''"},
      {"delete_requests_before",
       "DELETE FROM request_ids WHERE create_time < $1"},
      {"update_tenant",
       "UPDATE tenants SET display_name = $2, state = $3, update_time = $4, "
       "revision = $5, delete_time = NULLIF($6::bigint, 0), "
       "purge_time = NULLIF($7::bigint, 0), max_profiles = $8, "
       "max_documents = $9, max_document_bytes = $10 WHERE id = $1"},
      {"delete_tenant", "DELETE FROM tenants WHERE id = $1"},
      {"insert_user",
       "INSERT INTO users (id, email, email_key, display_name, create_time, "
       "update_time, revision) VALUES ($1, $2, $3, $4, $5, $6, $7)"},
      {"get_user", "SELECT " + users + " FROM users WHERE id = $1"},
      {"lock_user", "SELECT " + users + " FROM users WHERE id = $1 FOR UPDATE"},
      {"find_user_by_email",
       "SELECT " + users + " FROM users WHERE email_key = $1"},
      {"list_users",
       "SELECT " + users + " FROM users WHERE id > $1 ORDER BY id LIMIT $2"},
      {"update_user",
       "UPDATE users SET email = $2, email_key = $3, display_name = $4, "
       "update_time = $5, revision = $6 WHERE id = $1"},
      // The tenant check and the insert are one statement, so a
      // concurrent DeleteTenant cannot leave a key without its tenant.
      {"insert_api_key",
       "INSERT INTO api_keys (" + api_keys +
           ") SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint "
           "WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $2)"},
      {"get_api_key", "SELECT " + api_keys + " FROM api_keys WHERE id = $1"},
      {"list_api_keys", "SELECT " + api_keys +
                            " FROM api_keys WHERE tenant_id = $1 AND id > $2 "
                            "ORDER BY id LIMIT $3"},
      {"delete_api_key",
       "DELETE FROM api_keys WHERE tenant_id = $1 AND id = $2"},
  };
}

TenantRecord ReadTenant(const pqxx::row& row) {
  TenantRecord tenant;
  tenant.id = row[0].as<std::string>();
  tenant.display_name = row[1].as<std::string>();
  tenant.state = TenantStateFromName(row[2].as<std::string>());
  tenant.create_time = absl::FromUnixMicros(row[3].as<int64_t>());
  tenant.update_time = absl::FromUnixMicros(row[4].as<int64_t>());
  tenant.revision = row[5].as<int64_t>();
  tenant.delete_time = OptionalTimeFromMicros(row[6].as<int64_t>());
  tenant.purge_time = OptionalTimeFromMicros(row[7].as<int64_t>());
  tenant.quota.max_profiles = row[8].as<int64_t>();
  tenant.quota.max_documents = row[9].as<int64_t>();
  tenant.quota.max_document_bytes = row[10].as<int64_t>();
  return tenant;
}

RequestRecord ReadRequestRecord(const pqxx::row& row) {
  RequestRecord record;
  record.method = row[0].as<std::string>();
  record.request_id = row[1].as<std::string>();
  record.request_sha256 = row[2].as<std::string>();
  record.resource_id = row[3].as<std::string>();
  record.create_time = absl::FromUnixMicros(row[4].as<int64_t>());
  return record;
}

// Inserts the record of `request` unless one with its method and
// request_id exists; returns whether it inserted.
bool InsertRequestRow(pqxx::work& work, const RequestKey& request,
                      const std::string& resource_id) {
  const pqxx::result result = work.exec_prepared(
      "insert_request", request.method, request.request_id,
      request.request_sha256, resource_id, absl::ToUnixMicros(CurrentTime()));
  return result.affected_rows() > 0;
}

void InsertTenantRow(pqxx::work& work, const TenantRecord& tenant) {
  work.exec_prepared0("insert_tenant", tenant.id, tenant.display_name,
                      std::string(TenantStateName(tenant.state)),
                      absl::ToUnixMicros(tenant.create_time),
                      absl::ToUnixMicros(tenant.update_time), tenant.revision,
                      OptionalTimeToMicros(tenant.delete_time),
                      OptionalTimeToMicros(tenant.purge_time),
                      tenant.quota.max_profiles, tenant.quota.max_documents,
                      tenant.quota.max_document_bytes);
}

void InsertUserRow(pqxx::work& work, const UserRecord& user) {
  work.exec_prepared0("insert_user", user.id, user.email, EmailKey(user.email),
                      user.display_name, absl::ToUnixMicros(user.create_time),
                      absl::ToUnixMicros(user.update_time), user.revision);
}

UserRecord ReadUser(const pqxx::row& row) {
  UserRecord user;
  user.id = row[0].as<std::string>();
  user.email = row[1].as<std::string>();
  user.display_name = row[2].as<std::string>();
  user.create_time = absl::FromUnixMicros(row[3].as<int64_t>());
  user.update_time = absl::FromUnixMicros(row[4].as<int64_t>());
  user.revision = row[5].as<int64_t>();
  return user;
}

ApiKeyRecord ReadApiKey(const pqxx::row& row) {
  ApiKeyRecord key;
  key.id = row[0].as<std::string>();
  key.tenant_id = row[1].as<std::string>();
  key.display_name = row[2].as<std::string>();
  key.secret_sha256 = row[3].as<std::string>();
  key.create_time = absl::FromUnixMicros(row[4].as<int64_t>());
  return key;
}

template <typename Record>
Page<Record> ReadPage(const pqxx::result& result, int limit,
                      Record (*read)(const pqxx::row&)) {
  Page<Record> page;
  for (const pqxx::row& row : result) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.has_more = true;
      break;
    }
    page.items.push_back(read(row));
  }
  return page;
}

}  // namespace

PostgresSharedStore::PostgresSharedStore(const Options& options)
    : pool_(PostgresPool::Options{
          options.url, options.pool_size, options.acquire_timeout,
          /*connect_timeout_seconds=*/5, PreparedStatements()}),
      password_(PasswordOfUrl(options.url)) {}

absl::Status PostgresSharedStore::Transact(
    absl::string_view action,
    const std::function<absl::Status(pqxx::work&)>& body) {
  absl::Status status;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    // The message of the last retryable failure names the attempts made.
    const std::string retry_context =
        attempt < kMaxAttempts
            ? std::string(action)
            : absl::StrCat(action, " after ", kMaxAttempts, " attempts");
    TENANTRY_ASSIGN_OR_RETURN(PostgresPool::Lease lease, pool_.Acquire());
    try {
      pqxx::work work(lease.connection());
      status = body(work);
      // Leaving `work` without commit rolls the transaction back.
      if (!status.ok()) return status;
      work.commit();
      return absl::OkStatus();
    } catch (const pqxx::in_doubt_error& error) {
      // The commit may or may not have happened; running it again could
      // apply it twice.
      lease.Discard();
      return PostgresError(error, action, password_);
    } catch (const pqxx::broken_connection& error) {
      lease.Discard();
      status = PostgresError(error, retry_context, password_);
    } catch (const pqxx::transaction_rollback& error) {
      // NOTE: no test reaches this branch. Each transaction here locks one
      // row under READ COMMITTED, which raises neither serialization
      // failures nor deadlocks. The broken-connection retry above shares
      // the loop and is tested.
      status = PostgresError(error, retry_context, password_);
    } catch (const std::exception& error) {
      return PostgresError(error, action, password_);
    }
  }
  return status;
}

absl::Status PostgresSharedStore::WithConnection(
    absl::string_view action,
    const std::function<absl::Status(pqxx::connection&)>& body) {
  TENANTRY_ASSIGN_OR_RETURN(PostgresPool::Lease lease, pool_.Acquire());
  try {
    return body(lease.connection());
  } catch (const std::exception& error) {
    lease.Discard();
    return PostgresError(error, action, password_);
  }
}

absl::StatusOr<TenantRecord> PostgresSharedStore::CreateTenant(
    const TenantRecord& tenant) {
  const TenantRecord created = NewTenantRecord(tenant);
  absl::Status status =
      Transact("failed to create a tenant", [&](pqxx::work& work) {
        InsertTenantRow(work, created);
        return absl::OkStatus();
      });
  TENANTRY_RETURN_IF_ERROR(DescribeTenantConflict(status, tenant.id));
  return created;
}

absl::StatusOr<TenantRecord> PostgresSharedStore::CreateTenantForRequest(
    const TenantRecord& tenant, const RequestKey& request) {
  const TenantRecord created = NewTenantRecord(tenant);
  absl::Status status = Transact(
      "failed to create a tenant", [&](pqxx::work& work) -> absl::Status {
        InsertTenantRow(work, created);
        const pqxx::result finished = work.exec_prepared(
            "finish_request", request.method, request.request_id,
            request.request_sha256, created.id);
        if (finished.affected_rows() == 0) {
          return UnreservedRequestError(request);
        }
        return absl::OkStatus();
      });
  TENANTRY_RETURN_IF_ERROR(DescribeTenantConflict(status, tenant.id));
  return created;
}

absl::StatusOr<TenantRecord> PostgresSharedStore::GetTenant(
    absl::string_view id) {
  TenantRecord tenant;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to read a tenant", [&](pqxx::work& work) {
        const pqxx::result result =
            work.exec_prepared("get_tenant", std::string(id));
        if (result.empty()) return TenantNotFoundError(id);
        tenant = ReadTenant(result[0]);
        return absl::OkStatus();
      }));
  return tenant;
}

absl::StatusOr<Page<TenantRecord>> PostgresSharedStore::ListTenants(
    const PageRequest& page, bool show_deleted) {
  Page<TenantRecord> tenants;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to list tenants", [&](pqxx::work& work) {
        tenants = ReadPage<TenantRecord>(
            work.exec_prepared(
                show_deleted ? "list_tenants" : "list_live_tenants",
                page.after_id, int64_t{page.limit} + 1),
            page.limit, &ReadTenant);
        return absl::OkStatus();
      }));
  return tenants;
}

absl::StatusOr<Page<TenantRecord>> PostgresSharedStore::ListPurgeableTenants(
    absl::Time now, const PageRequest& page) {
  Page<TenantRecord> tenants;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to list purgeable tenants", [&](pqxx::work& work) {
        tenants = ReadPage<TenantRecord>(
            work.exec_prepared("list_purgeable_tenants",
                               absl::ToUnixMicros(now), page.after_id,
                               int64_t{page.limit} + 1),
            page.limit, &ReadTenant);
        return absl::OkStatus();
      }));
  return tenants;
}

absl::StatusOr<TenantRecord> PostgresSharedStore::UpdateTenant(
    absl::string_view id, const Mutation<TenantRecord>& mutation) {
  TenantRecord updated;
  TENANTRY_RETURN_IF_ERROR(Transact(
      "failed to update a tenant", [&](pqxx::work& work) -> absl::Status {
        const pqxx::result result =
            work.exec_prepared("lock_tenant", std::string(id));
        if (result.empty()) return TenantNotFoundError(id);
        updated = ReadTenant(result[0]);
        const TenantRecord original = updated;
        TENANTRY_RETURN_IF_ERROR(mutation(updated));
        updated.id = original.id;
        updated.create_time = original.create_time;
        updated.update_time = CurrentTime();
        updated.revision = original.revision + 1;
        work.exec_prepared0(
            "update_tenant", updated.id, updated.display_name,
            std::string(TenantStateName(updated.state)),
            absl::ToUnixMicros(updated.update_time), updated.revision,
            OptionalTimeToMicros(updated.delete_time),
            OptionalTimeToMicros(updated.purge_time),
            updated.quota.max_profiles, updated.quota.max_documents,
            updated.quota.max_document_bytes);
        return absl::OkStatus();
      }));
  return updated;
}

absl::Status PostgresSharedStore::DeleteTenant(absl::string_view id) {
  return Transact("failed to delete a tenant", [&](pqxx::work& work) {
    const pqxx::result result =
        work.exec_prepared("delete_tenant", std::string(id));
    if (result.affected_rows() == 0) return TenantNotFoundError(id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<RequestRecord>>
PostgresSharedStore::FindRequestRecord(absl::string_view method,
                                       absl::string_view request_id) {
  std::optional<RequestRecord> record;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to read a request record", [&](pqxx::work& work) {
        const pqxx::result result = work.exec_prepared(
            "find_request", std::string(method), std::string(request_id));
        if (!result.empty()) record = ReadRequestRecord(result[0]);
        return absl::OkStatus();
      }));
  return record;
}

absl::StatusOr<bool> PostgresSharedStore::ReserveRequest(
    const RequestKey& request) {
  bool inserted = false;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to record a request", [&](pqxx::work& work) {
        inserted = InsertRequestRow(work, request, /*resource_id=*/"");
        return absl::OkStatus();
      }));
  return inserted;
}

absl::StatusOr<int64_t> PostgresSharedStore::DeleteRequestRecordsBefore(
    absl::Time time) {
  int64_t deleted = 0;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to delete request records", [&](pqxx::work& work) {
        deleted = work.exec_prepared("delete_requests_before",
                                     absl::ToUnixMicros(time))
                      .affected_rows();
        return absl::OkStatus();
      }));
  return deleted;
}

absl::StatusOr<UserRecord> PostgresSharedStore::CreateUser(
    const UserRecord& user) {
  UserRecord created = user;
  created.create_time = created.update_time = CurrentTime();
  created.revision = 1;
  absl::Status status =
      Transact("failed to create a user", [&](pqxx::work& work) {
        InsertUserRow(work, created);
        return absl::OkStatus();
      });
  TENANTRY_RETURN_IF_ERROR(DescribeEmailConflict(status, user.email));
  return created;
}

absl::StatusOr<UserRecord> PostgresSharedStore::CreateUserForRequest(
    const UserRecord& user, const RequestKey& request) {
  UserRecord result;
  absl::Status status = Transact(
      "failed to create a user", [&](pqxx::work& work) -> absl::Status {
        // Set again on each attempt, which Transact may repeat.
        result = user;
        result.create_time = result.update_time = CurrentTime();
        result.revision = 1;
        if (InsertRequestRow(work, request, result.id)) {
          try {
            InsertUserRow(work, result);
          } catch (const pqxx::unique_violation&) {
            // Only the email can collide: the id is new.
            return DescribeEmailConflict(absl::AlreadyExistsError(""),
                                         user.email);
          }
          return absl::OkStatus();
        }
        // Under READ COMMITTED this statement reads the row that the
        // transaction the insert waited for committed.
        const pqxx::result earlier = work.exec_prepared(
            "find_request", request.method, request.request_id);
        if (earlier.empty()) return UnreservedRequestError(request);
        const RequestRecord record = ReadRequestRecord(earlier[0]);
        if (record.request_sha256 != request.request_sha256) {
          return RequestIdConflictError(request.method, request.request_id);
        }
        const pqxx::result created =
            work.exec_prepared("get_user", record.resource_id);
        if (created.empty()) return UserNotFoundError(record.resource_id);
        result = ReadUser(created[0]);
        return absl::OkStatus();
      });
  TENANTRY_RETURN_IF_ERROR(status);
  return result;
}

absl::StatusOr<UserRecord> PostgresSharedStore::GetUser(absl::string_view id) {
  UserRecord user;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to read a user", [&](pqxx::work& work) {
        const pqxx::result result =
            work.exec_prepared("get_user", std::string(id));
        if (result.empty()) return UserNotFoundError(id);
        user = ReadUser(result[0]);
        return absl::OkStatus();
      }));
  return user;
}

absl::StatusOr<UserRecord> PostgresSharedStore::FindUserByEmail(
    absl::string_view email) {
  UserRecord user;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to find a user", [&](pqxx::work& work) {
        const pqxx::result result =
            work.exec_prepared("find_user_by_email", EmailKey(email));
        if (result.empty()) {
          return absl::NotFoundError(
              absl::StrCat("no user has email \"", email, "\""));
        }
        user = ReadUser(result[0]);
        return absl::OkStatus();
      }));
  return user;
}

absl::StatusOr<Page<UserRecord>> PostgresSharedStore::ListUsers(
    const PageRequest& page) {
  Page<UserRecord> users;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to list users", [&](pqxx::work& work) {
        users =
            ReadPage<UserRecord>(work.exec_prepared("list_users", page.after_id,
                                                    int64_t{page.limit} + 1),
                                 page.limit, &ReadUser);
        return absl::OkStatus();
      }));
  return users;
}

absl::StatusOr<UserRecord> PostgresSharedStore::UpdateUser(
    absl::string_view id, const Mutation<UserRecord>& mutation) {
  UserRecord updated;
  absl::Status status = Transact(
      "failed to update a user", [&](pqxx::work& work) -> absl::Status {
        const pqxx::result result =
            work.exec_prepared("lock_user", std::string(id));
        if (result.empty()) return UserNotFoundError(id);
        updated = ReadUser(result[0]);
        const UserRecord original = updated;
        TENANTRY_RETURN_IF_ERROR(mutation(updated));
        updated.id = original.id;
        updated.create_time = original.create_time;
        updated.update_time = CurrentTime();
        updated.revision = original.revision + 1;
        work.exec_prepared0("update_user", updated.id, updated.email,
                            EmailKey(updated.email), updated.display_name,
                            absl::ToUnixMicros(updated.update_time),
                            updated.revision);
        return absl::OkStatus();
      });
  TENANTRY_RETURN_IF_ERROR(DescribeEmailConflict(status, updated.email));
  return updated;
}

absl::StatusOr<ApiKeyRecord> PostgresSharedStore::CreateApiKey(
    const ApiKeyRecord& key) {
  ApiKeyRecord created = key;
  created.create_time = CurrentTime();
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to create an API key", [&](pqxx::work& work) {
        const pqxx::result result =
            work.exec_prepared("insert_api_key", created.id, created.tenant_id,
                               created.display_name, created.secret_sha256,
                               absl::ToUnixMicros(created.create_time));
        if (result.affected_rows() == 0) {
          return TenantNotFoundError(created.tenant_id);
        }
        return absl::OkStatus();
      }));
  return created;
}

absl::StatusOr<ApiKeyRecord> PostgresSharedStore::GetApiKey(
    absl::string_view id) {
  ApiKeyRecord key;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to read an API key", [&](pqxx::work& work) {
        const pqxx::result result =
            work.exec_prepared("get_api_key", std::string(id));
        if (result.empty()) {
          return absl::NotFoundError(
              absl::StrCat("API key \"", id, "\" not found"));
        }
        key = ReadApiKey(result[0]);
        return absl::OkStatus();
      }));
  return key;
}

absl::StatusOr<Page<ApiKeyRecord>> PostgresSharedStore::ListApiKeys(
    absl::string_view tenant_id, const PageRequest& page) {
  Page<ApiKeyRecord> keys;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to list API keys", [&](pqxx::work& work) {
        keys = ReadPage<ApiKeyRecord>(
            work.exec_prepared("list_api_keys", std::string(tenant_id),
                               page.after_id, int64_t{page.limit} + 1),
            page.limit, &ReadApiKey);
        return absl::OkStatus();
      }));
  return keys;
}

absl::Status PostgresSharedStore::DeleteApiKey(absl::string_view tenant_id,
                                               absl::string_view id) {
  return Transact("failed to delete an API key", [&](pqxx::work& work) {
    const pqxx::result result = work.exec_prepared(
        "delete_api_key", std::string(tenant_id), std::string(id));
    if (result.affected_rows() == 0) return ApiKeyNotFoundError(tenant_id, id);
    return absl::OkStatus();
  });
}

absl::StatusOr<MigrationOutcome> PostgresSharedStore::Migrate() {
  MigrationOutcome outcome;
  TENANTRY_RETURN_IF_ERROR(WithConnection(
      "failed to migrate the shared store",
      [&](pqxx::connection& connection) -> absl::Status {
        // A session lock, so that two servers starting at once do not both
        // apply the same migration.
        TENANTRY_ASSIGN_OR_RETURN(
            const PostgresMigrationLock lock,
            PostgresMigrationLock::Acquire(connection, password_));
        PostgresMigrationBackend backend(connection, password_);
        TENANTRY_ASSIGN_OR_RETURN(outcome,
                                  ApplyMigrations(backend, SharedMigrations()));
        return absl::OkStatus();
      }));
  return outcome;
}

absl::StatusOr<MigrationStatus> PostgresSharedStore::GetMigrationStatus() {
  MigrationStatus status;
  TENANTRY_RETURN_IF_ERROR(WithConnection(
      "failed to read the shared schema version",
      [&](pqxx::connection& connection) -> absl::Status {
        PostgresMigrationBackend backend(connection, password_);
        TENANTRY_ASSIGN_OR_RETURN(status,
                                  CheckMigrations(backend, SharedMigrations()));
        return absl::OkStatus();
      }));
  return status;
}

}  // namespace tenantry::storage
