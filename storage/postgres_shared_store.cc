#include "storage/postgres_shared_store.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
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

// Serializes migrations of one database across processes; the number is
// arbitrary but fixed.
constexpr int64_t kMigrationLockKey = 7294011;

std::vector<std::pair<std::string, std::string>> PreparedStatements() {
  const std::string tenants = kTenantSelect;
  const std::string users = kUserColumns;
  const std::string api_keys = kApiKeyColumns;
  return {
      {"insert_tenant",
       std::string("INSERT INTO tenants (") + kTenantColumns +
           ") VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, 0), NULLIF($8, 0), "
           "$9, $10, $11)"},
      {"get_tenant", "SELECT " + tenants + " FROM tenants WHERE id = $1"},
      {"lock_tenant",
       "SELECT " + tenants + " FROM tenants WHERE id = $1 FOR UPDATE"},
      {"list_tenants", "SELECT " + tenants +
                           " FROM tenants WHERE id > $1 ORDER BY id LIMIT $2"},
      {"update_tenant",
       "UPDATE tenants SET display_name = $2, state = $3, update_time = $4, "
       "revision = $5, delete_time = NULLIF($6, 0), "
       "purge_time = NULLIF($7, 0), max_profiles = $8, max_documents = $9, "
       "max_document_bytes = $10 WHERE id = $1"},
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

// Migrations on one PostgreSQL database; DDL is transactional there, so a
// failed migration leaves nothing behind.
class PostgresMigrationBackend : public MigrationBackend {
 public:
  PostgresMigrationBackend(pqxx::connection& connection,
                           absl::string_view password)
      : connection_(connection), password_(password) {}

  absl::StatusOr<std::vector<AppliedMigration>> LoadHistory() override {
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

  absl::Status Apply(const Migration& migration) override {
    return ApplyAll({&migration});
  }

  absl::Status ApplyAll(
      const std::vector<const Migration*>& migrations) override {
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

 private:
  pqxx::connection& connection_;
  const std::string password_;
};

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
  TenantRecord created = tenant;
  created.create_time = created.update_time = CurrentTime();
  created.revision = 1;
  absl::Status status =
      Transact("failed to create a tenant", [&](pqxx::work& work) {
        work.exec_prepared0(
            "insert_tenant", created.id, created.display_name,
            std::string(TenantStateName(created.state)),
            absl::ToUnixMicros(created.create_time),
            absl::ToUnixMicros(created.update_time), created.revision,
            OptionalTimeToMicros(created.delete_time),
            OptionalTimeToMicros(created.purge_time),
            created.quota.max_profiles, created.quota.max_documents,
            created.quota.max_document_bytes);
        return absl::OkStatus();
      });
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError(
        absl::StrCat("tenant \"", tenant.id, "\" already exists"));
  }
  TENANTRY_RETURN_IF_ERROR(status);
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
    const PageRequest& page) {
  Page<TenantRecord> tenants;
  TENANTRY_RETURN_IF_ERROR(
      Transact("failed to list tenants", [&](pqxx::work& work) {
        tenants = ReadPage<TenantRecord>(
            work.exec_prepared("list_tenants", page.after_id,
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

absl::StatusOr<UserRecord> PostgresSharedStore::CreateUser(
    const UserRecord& user) {
  UserRecord created = user;
  created.create_time = created.update_time = CurrentTime();
  created.revision = 1;
  absl::Status status =
      Transact("failed to create a user", [&](pqxx::work& work) {
        work.exec_prepared0(
            "insert_user", created.id, created.email, EmailKey(created.email),
            created.display_name, absl::ToUnixMicros(created.create_time),
            absl::ToUnixMicros(created.update_time), created.revision);
        return absl::OkStatus();
      });
  TENANTRY_RETURN_IF_ERROR(DescribeEmailConflict(status, user.email));
  return created;
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
        pqxx::nontransaction(connection)
            .exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
        PostgresMigrationBackend backend(connection, password_);
        absl::StatusOr<MigrationOutcome> result =
            ApplyMigrations(backend, SharedMigrations());
        pqxx::nontransaction(connection)
            .exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
        TENANTRY_RETURN_IF_ERROR(result.status());
        outcome = *std::move(result);
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
