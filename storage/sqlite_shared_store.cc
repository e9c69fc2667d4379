#include "storage/sqlite_shared_store.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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

TenantRecord ReadTenant(const SqliteStatement& row) {
  TenantRecord tenant;
  tenant.id = row.ColumnText(0);
  tenant.display_name = row.ColumnText(1);
  tenant.state = TenantStateFromName(row.ColumnText(2));
  tenant.create_time = absl::FromUnixMicros(row.ColumnInt(3));
  tenant.update_time = absl::FromUnixMicros(row.ColumnInt(4));
  tenant.revision = row.ColumnInt(5);
  tenant.delete_time = OptionalTimeFromMicros(row.ColumnInt(6));
  tenant.purge_time = OptionalTimeFromMicros(row.ColumnInt(7));
  tenant.quota.max_profiles = row.ColumnInt(8);
  tenant.quota.max_documents = row.ColumnInt(9);
  tenant.quota.max_document_bytes = row.ColumnInt(10);
  return tenant;
}

UserRecord ReadUser(const SqliteStatement& row) {
  UserRecord user;
  user.id = row.ColumnText(0);
  user.email = row.ColumnText(1);
  user.display_name = row.ColumnText(2);
  user.create_time = absl::FromUnixMicros(row.ColumnInt(3));
  user.update_time = absl::FromUnixMicros(row.ColumnInt(4));
  user.revision = row.ColumnInt(5);
  return user;
}

ApiKeyRecord ReadApiKey(const SqliteStatement& row) {
  ApiKeyRecord key;
  key.id = row.ColumnText(0);
  key.tenant_id = row.ColumnText(1);
  key.display_name = row.ColumnText(2);
  key.secret_sha256 = row.ColumnText(3);
  key.create_time = absl::FromUnixMicros(row.ColumnInt(4));
  return key;
}

RequestRecord ReadRequestRecord(const SqliteStatement& row) {
  RequestRecord record;
  record.method = row.ColumnText(0);
  record.request_id = row.ColumnText(1);
  record.request_sha256 = row.ColumnText(2);
  record.resource_id = row.ColumnText(3);
  record.create_time = absl::FromUnixMicros(row.ColumnInt(4));
  return record;
}

// Inserts `tenant` as it is. Returns ALREADY_EXISTS naming the id if it is
// taken.
absl::Status InsertTenantRow(SqliteConnection& connection,
                             const TenantRecord& tenant) {
  TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                            connection.Prepare(absl::StrCat(
                                "INSERT INTO tenants (", kTenantColumns,
                                ") VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, 0), "
                                "NULLIF(?, 0), ?, ?, ?)")));
  StatementLease insert(statement);
  insert->BindAll(tenant.id, tenant.display_name, TenantStateName(tenant.state),
                  absl::ToUnixMicros(tenant.create_time),
                  absl::ToUnixMicros(tenant.update_time), tenant.revision,
                  OptionalTimeToMicros(tenant.delete_time),
                  OptionalTimeToMicros(tenant.purge_time),
                  tenant.quota.max_profiles, tenant.quota.max_documents,
                  tenant.quota.max_document_bytes);
  return DescribeTenantConflict(insert->Execute().status(), tenant.id);
}

// Inserts `user` as it is. Returns ALREADY_EXISTS if its id or email is
// taken.
absl::Status InsertUserRow(SqliteConnection& connection,
                           const UserRecord& user) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("INSERT INTO users (id, email, email_key, "
                         "display_name, create_time, update_time, revision) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  StatementLease insert(statement);
  insert->BindAll(user.id, user.email, EmailKey(user.email), user.display_name,
                  absl::ToUnixMicros(user.create_time),
                  absl::ToUnixMicros(user.update_time), user.revision);
  return DescribeEmailConflict(insert->Execute().status(), user.email);
}

absl::StatusOr<std::optional<RequestRecord>> FindRequestRow(
    SqliteConnection& connection, absl::string_view method,
    absl::string_view request_id) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare(absl::StrCat(
          "SELECT ", kRequestColumns,
          " FROM request_ids WHERE method = ? AND request_id = ?")));
  StatementLease query(statement);
  query->BindAll(method, request_id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) return std::nullopt;
  return ReadRequestRecord(*statement);
}

// Inserts the record of `request` unless one with its method and
// request_id exists; returns whether it inserted.
absl::StatusOr<bool> InsertRequestRow(SqliteConnection& connection,
                                      const RequestKey& request,
                                      absl::string_view resource_id) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare(absl::StrCat(
          "INSERT INTO request_ids (", kRequestColumns,
          ") VALUES (?, ?, ?, ?, ?) ON CONFLICT (method, request_id) "
          "DO NOTHING")));
  StatementLease insert(statement);
  insert->BindAll(request.method, request.request_id, request.request_sha256,
                  resource_id, absl::ToUnixMicros(CurrentTime()));
  TENANTRY_ASSIGN_OR_RETURN(const int inserted, insert->Execute());
  return inserted > 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteSharedStore>> SqliteSharedStore::Open(
    const std::string& path) {
  SqliteConnection::Options options;
  options.create_if_missing = true;
  TENANTRY_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection,
                            SqliteConnection::Open(path, options));
  return std::unique_ptr<SqliteSharedStore>(
      new SqliteSharedStore(std::move(connection)));
}

absl::StatusOr<TenantRecord> SqliteSharedStore::CreateTenant(
    const TenantRecord& tenant) {
  const TenantRecord created = NewTenantRecord(tenant);
  absl::MutexLock lock(&mutex_);
  TENANTRY_RETURN_IF_ERROR(InsertTenantRow(*connection_, created));
  return created;
}

absl::StatusOr<TenantRecord> SqliteSharedStore::CreateTenantForRequest(
    const TenantRecord& tenant, const RequestKey& request) {
  const TenantRecord created = NewTenantRecord(tenant);
  absl::MutexLock lock(&mutex_);
  TENANTRY_RETURN_IF_ERROR(connection_->InTransaction([&]() -> absl::Status {
    TENANTRY_RETURN_IF_ERROR(InsertTenantRow(*connection_, created));
    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection_->Prepare(
            "UPDATE request_ids SET resource_id = ? WHERE method = ? AND "
            "request_id = ? AND request_sha256 = ? AND resource_id = ''"));
    StatementLease update(statement);
    update->BindAll(created.id, request.method, request.request_id,
                    request.request_sha256);
    TENANTRY_ASSIGN_OR_RETURN(const int updated, update->Execute());
    if (updated == 0) return UnreservedRequestError(request);
    return absl::OkStatus();
  }));
  return created;
}

absl::StatusOr<TenantRecord> SqliteSharedStore::GetTenant(
    absl::string_view id) {
  absl::MutexLock lock(&mutex_);
  return GetTenantLocked(id);
}

absl::StatusOr<TenantRecord> SqliteSharedStore::GetTenantLocked(
    absl::string_view id) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(absl::StrCat("SELECT ", kTenantSelect,
                                        " FROM tenants WHERE id = ?")));
  StatementLease query(statement);
  query->BindAll(id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) {
    return TenantNotFoundError(id);
  }
  return ReadTenant(*statement);
}

absl::StatusOr<Page<TenantRecord>> SqliteSharedStore::ListTenants(
    const PageRequest& page, bool show_deleted) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(
          absl::StrCat("SELECT ", kTenantSelect, " FROM tenants WHERE id > ? ",
                       show_deleted ? "" : "AND delete_time IS NULL ",
                       "ORDER BY id LIMIT ?")));
  StatementLease query(statement);
  query->BindAll(page.after_id, int64_t{page.limit} + 1);
  return CollectPage<TenantRecord>(query, page.limit, &ReadTenant);
}

absl::StatusOr<Page<TenantRecord>> SqliteSharedStore::ListPurgeableTenants(
    absl::Time now, const PageRequest& page) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(absl::StrCat(
          "SELECT ", kTenantSelect,
          " FROM tenants WHERE delete_time IS NOT NULL AND purge_time <= ? "
          "AND id > ? ORDER BY id LIMIT ?")));
  StatementLease query(statement);
  query->BindAll(absl::ToUnixMicros(now), page.after_id,
                 int64_t{page.limit} + 1);
  return CollectPage<TenantRecord>(query, page.limit, &ReadTenant);
}

absl::StatusOr<TenantRecord> SqliteSharedStore::UpdateTenant(
    absl::string_view id, const Mutation<TenantRecord>& mutation) {
  absl::MutexLock lock(&mutex_);
  TenantRecord updated;
  absl::Status status = connection_->InTransaction([&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(updated, GetTenantLocked(id));
    TENANTRY_RETURN_IF_ERROR(mutation(updated));
    updated.id = std::string(id);
    updated.update_time = CurrentTime();
    updated.revision += 1;
    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection_->Prepare(
            "UPDATE tenants SET display_name = ?, state = ?, update_time = ?, "
            "revision = ?, delete_time = NULLIF(?, 0), "
            "purge_time = NULLIF(?, 0), max_profiles = ?, max_documents = ?, "
            "max_document_bytes = ? WHERE id = ?"));
    StatementLease update(statement);
    update->BindAll(updated.display_name, TenantStateName(updated.state),
                    absl::ToUnixMicros(updated.update_time), updated.revision,
                    OptionalTimeToMicros(updated.delete_time),
                    OptionalTimeToMicros(updated.purge_time),
                    updated.quota.max_profiles, updated.quota.max_documents,
                    updated.quota.max_document_bytes, updated.id);
    return update->Execute().status();
  });
  TENANTRY_RETURN_IF_ERROR(status);
  return updated;
}

absl::Status SqliteSharedStore::DeleteTenant(absl::string_view id) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare("DELETE FROM tenants WHERE id = ?"));
  StatementLease remove(statement);
  remove->BindAll(id);
  TENANTRY_ASSIGN_OR_RETURN(const int deleted, remove->Execute());
  if (deleted == 0) {
    return TenantNotFoundError(id);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RequestRecord>>
SqliteSharedStore::FindRequestRecord(absl::string_view method,
                                     absl::string_view request_id) {
  absl::MutexLock lock(&mutex_);
  return FindRequestRow(*connection_, method, request_id);
}

absl::StatusOr<bool> SqliteSharedStore::ReserveRequest(
    const RequestKey& request) {
  absl::MutexLock lock(&mutex_);
  return InsertRequestRow(*connection_, request, /*resource_id=*/"");
}

absl::StatusOr<int64_t> SqliteSharedStore::DeleteRequestRecordsBefore(
    absl::Time time) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare("DELETE FROM request_ids WHERE create_time < ?"));
  StatementLease remove(statement);
  remove->BindAll(absl::ToUnixMicros(time));
  TENANTRY_ASSIGN_OR_RETURN(const int deleted, remove->Execute());
  return deleted;
}

absl::StatusOr<UserRecord> SqliteSharedStore::CreateUser(
    const UserRecord& user) {
  UserRecord created = user;
  created.create_time = created.update_time = CurrentTime();
  created.revision = 1;
  absl::MutexLock lock(&mutex_);
  TENANTRY_RETURN_IF_ERROR(InsertUserRow(*connection_, created));
  return created;
}

absl::StatusOr<UserRecord> SqliteSharedStore::CreateUserForRequest(
    const UserRecord& user, const RequestKey& request) {
  UserRecord result = user;
  result.create_time = result.update_time = CurrentTime();
  result.revision = 1;
  absl::MutexLock lock(&mutex_);
  TENANTRY_RETURN_IF_ERROR(connection_->InTransaction([&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(
        const bool inserted,
        InsertRequestRow(*connection_, request, result.id));
    if (inserted) return InsertUserRow(*connection_, result);
    TENANTRY_ASSIGN_OR_RETURN(
        const std::optional<RequestRecord> earlier,
        FindRequestRow(*connection_, request.method, request.request_id));
    if (!earlier.has_value()) return UnreservedRequestError(request);
    if (earlier->request_sha256 != request.request_sha256) {
      return RequestIdConflictError(request.method, request.request_id);
    }
    TENANTRY_ASSIGN_OR_RETURN(result, GetUserLocked(earlier->resource_id));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<UserRecord> SqliteSharedStore::GetUser(absl::string_view id) {
  absl::MutexLock lock(&mutex_);
  return GetUserLocked(id);
}

absl::StatusOr<UserRecord> SqliteSharedStore::GetUserLocked(
    absl::string_view id) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(
          absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE id = ?")));
  StatementLease query(statement);
  query->BindAll(id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) {
    return UserNotFoundError(id);
  }
  return ReadUser(*statement);
}

absl::StatusOr<UserRecord> SqliteSharedStore::FindUserByEmail(
    absl::string_view email) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(absl::StrCat("SELECT ", kUserColumns,
                                        " FROM users WHERE email_key = ?")));
  StatementLease query(statement);
  query->BindAll(EmailKey(email));
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("no user has email \"", email, "\""));
  }
  return ReadUser(*statement);
}

absl::StatusOr<Page<UserRecord>> SqliteSharedStore::ListUsers(
    const PageRequest& page) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(absl::StrCat("SELECT ", kUserColumns,
                                        " FROM users WHERE id > ? "
                                        "ORDER BY id LIMIT ?")));
  StatementLease query(statement);
  query->BindAll(page.after_id, int64_t{page.limit} + 1);
  return CollectPage<UserRecord>(query, page.limit, &ReadUser);
}

absl::StatusOr<UserRecord> SqliteSharedStore::UpdateUser(
    absl::string_view id, const Mutation<UserRecord>& mutation) {
  absl::MutexLock lock(&mutex_);
  UserRecord updated;
  absl::Status status = connection_->InTransaction([&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(updated, GetUserLocked(id));
    TENANTRY_RETURN_IF_ERROR(mutation(updated));
    updated.id = std::string(id);
    updated.update_time = CurrentTime();
    updated.revision += 1;
    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection_->Prepare("UPDATE users SET email = ?, email_key = ?, "
                             "display_name = ?, update_time = ?, revision = ? "
                             "WHERE id = ?"));
    StatementLease update(statement);
    update->BindAll(
        updated.email, EmailKey(updated.email), updated.display_name,
        absl::ToUnixMicros(updated.update_time), updated.revision, updated.id);
    return DescribeEmailConflict(update->Execute().status(), updated.email);
  });
  TENANTRY_RETURN_IF_ERROR(status);
  return updated;
}

absl::StatusOr<MigrationOutcome> SqliteSharedStore::Migrate() {
  absl::MutexLock lock(&mutex_);
  SqliteMigrationBackend backend(connection_.get());
  return ApplyMigrations(backend, SharedMigrations());
}

absl::StatusOr<MigrationStatus> SqliteSharedStore::GetMigrationStatus() {
  absl::MutexLock lock(&mutex_);
  SqliteMigrationBackend backend(connection_.get());
  return CheckMigrations(backend, SharedMigrations());
}

absl::StatusOr<ApiKeyRecord> SqliteSharedStore::CreateApiKey(
    const ApiKeyRecord& key) {
  ApiKeyRecord created = key;
  created.create_time = CurrentTime();
  absl::MutexLock lock(&mutex_);
  // The tenant check and the insert are one statement, so a concurrent
  // DeleteTenant cannot leave a key without its tenant.
  TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                            connection_->Prepare(absl::StrCat(
                                "INSERT INTO api_keys (", kApiKeyColumns,
                                ") SELECT ?, ?, ?, ?, ? WHERE EXISTS "
                                "(SELECT 1 FROM tenants WHERE id = ?)")));
  StatementLease insert(statement);
  insert->BindAll(created.id, created.tenant_id, created.display_name,
                  created.secret_sha256,
                  absl::ToUnixMicros(created.create_time), created.tenant_id);
  TENANTRY_ASSIGN_OR_RETURN(const int inserted, insert->Execute());
  if (inserted == 0) return TenantNotFoundError(created.tenant_id);
  return created;
}

absl::StatusOr<ApiKeyRecord> SqliteSharedStore::GetApiKey(
    absl::string_view id) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(absl::StrCat("SELECT ", kApiKeyColumns,
                                        " FROM api_keys WHERE id = ?")));
  StatementLease query(statement);
  query->BindAll(id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found)
    return absl::NotFoundError(absl::StrCat("API key \"", id, "\" not found"));
  return ReadApiKey(*statement);
}

absl::StatusOr<Page<ApiKeyRecord>> SqliteSharedStore::ListApiKeys(
    absl::string_view tenant_id, const PageRequest& page) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(absl::StrCat(
          "SELECT ", kApiKeyColumns,
          " FROM api_keys WHERE tenant_id = ? AND id > ? ORDER BY id "
          "LIMIT ?")));
  StatementLease query(statement);
  query->BindAll(tenant_id, page.after_id, int64_t{page.limit} + 1);
  return CollectPage<ApiKeyRecord>(query, page.limit, &ReadApiKey);
}

absl::Status SqliteSharedStore::DeleteApiKey(absl::string_view tenant_id,
                                             absl::string_view id) {
  absl::MutexLock lock(&mutex_);
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare(
          "DELETE FROM api_keys WHERE tenant_id = ? AND id = ?"));
  StatementLease remove(statement);
  remove->BindAll(tenant_id, id);
  TENANTRY_ASSIGN_OR_RETURN(const int deleted, remove->Execute());
  if (deleted == 0) return ApiKeyNotFoundError(tenant_id, id);
  return absl::OkStatus();
}

}  // namespace tenantry::storage
