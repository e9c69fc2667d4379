#include "storage/migrations.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::storage {
namespace {

constexpr absl::string_view kCreateHistoryTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_time BIGINT NOT NULL
))sql";

}  // namespace

std::string MigrationChecksum(absl::string_view sql) {
  return StableChecksum(sql);
}

std::string DownFileName(const Migration& migration) {
  absl::string_view stem = migration.name;
  absl::ConsumeSuffix(&stem, ".up.sql");
  return absl::StrCat(stem, ".down.sql");
}

absl::Status MigrationBackend::Revert(const Migration& migration,
                                      int64_t /*version_after*/) {
  return absl::UnimplementedError(
      absl::StrCat("this database cannot revert migration ", migration.name));
}

absl::StatusOr<std::vector<AppliedMigration>>
SqliteMigrationBackend::LoadHistory() {
  TENANTRY_RETURN_IF_ERROR(connection_->ExecuteScript(kCreateHistoryTable));
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare("SELECT version, name, checksum FROM "
                           "schema_migrations ORDER BY version"));
  StatementLease query(statement);
  std::vector<AppliedMigration> history;
  while (true) {
    TENANTRY_ASSIGN_OR_RETURN(const bool has_row, query->Step());
    if (!has_row) break;
    history.push_back(
        {query->ColumnInt(0), query->ColumnText(1), query->ColumnText(2)});
  }
  return history;
}

absl::Status SqliteMigrationBackend::Run(const Migration& migration) {
  TENANTRY_RETURN_IF_ERROR(connection_->ExecuteScript(migration.sql));
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection_->Prepare("INSERT INTO schema_migrations (version, name, "
                           "checksum, applied_time) VALUES (?, ?, ?, ?)"));
  StatementLease insert(statement);
  insert->BindAll(migration.version, migration.name,
                  MigrationChecksum(migration.sql),
                  absl::ToUnixMicros(absl::Now()));
  TENANTRY_RETURN_IF_ERROR(insert->Execute().status());
  // The version in the file header lets TenantDatabase::Open skip the
  // history check when the database is current.
  return connection_->ExecuteScript(
      absl::StrCat("PRAGMA user_version = ", migration.version));
}

absl::Status SqliteMigrationBackend::Apply(const Migration& migration) {
  return connection_->InTransaction([&] { return Run(migration); });
}

absl::Status SqliteMigrationBackend::Revert(const Migration& migration,
                                            int64_t version_after) {
  if (!migration.down_sql.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(DownFileName(migration), " is missing"));
  }
  return connection_->InTransaction([&]() -> absl::Status {
    TENANTRY_RETURN_IF_ERROR(connection_->ExecuteScript(*migration.down_sql));
    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection_->Prepare(
            "DELETE FROM schema_migrations WHERE version = ?"));
    StatementLease remove(statement);
    remove->BindAll(migration.version);
    TENANTRY_RETURN_IF_ERROR(remove->Execute().status());
    // TenantDatabase::Open trusts user_version when it equals the latest
    // version, so it must never claim a version that was reverted.
    return connection_->ExecuteScript(
        absl::StrCat("PRAGMA user_version = ", version_after));
  });
}

absl::Status SqliteMigrationBackend::ApplyAll(
    const std::vector<const Migration*>& migrations) {
  return connection_->InTransaction([&]() -> absl::Status {
    for (const Migration* migration : migrations) {
      absl::Status status = Run(*migration);
      if (!status.ok()) {
        return absl::Status(status.code(),
                            absl::StrCat("migration ", migration->name,
                                         " failed: ", status.message()));
      }
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<MigrationStatus> CheckMigrations(
    MigrationBackend& backend, const std::vector<Migration>& migrations) {
  TENANTRY_ASSIGN_OR_RETURN(const std::vector<AppliedMigration> history,
                            backend.LoadHistory());
  absl::flat_hash_map<int64_t, const Migration*> known;
  MigrationStatus status;
  for (const Migration& migration : migrations) {
    known[migration.version] = &migration;
    status.latest_version = std::max(status.latest_version, migration.version);
  }
  for (const AppliedMigration& applied : history) {
    auto it = known.find(applied.version);
    if (it == known.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the database has migration ", applied.name,
                       " (version ", applied.version,
                       ") that this binary does not know; use a newer binary"));
    }
    const std::string checksum = MigrationChecksum(it->second->sql);
    if (checksum != applied.checksum) {
      return absl::FailedPreconditionError(
          absl::StrCat("migration ", it->second->name,
                       " changed after it was applied (checksum ", checksum,
                       ", recorded ", applied.checksum,
                       "); restore the file and add a new migration instead"));
    }
    status.current_version = std::max(status.current_version, applied.version);
  }
  // A migration added below the applied version would never run.
  absl::flat_hash_map<int64_t, bool> applied_versions;
  for (const AppliedMigration& applied : history) {
    applied_versions[applied.version] = true;
  }
  for (const Migration& migration : migrations) {
    if (migration.version < status.current_version &&
        !applied_versions.contains(migration.version)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migration ", migration.name, " is older than the applied version ",
          status.current_version, " but was never applied; renumber it"));
    }
  }
  return status;
}

absl::StatusOr<MigrationOutcome> ApplyMigrations(
    MigrationBackend& backend, const std::vector<Migration>& migrations,
    MigrationAtomicity atomicity) {
  TENANTRY_ASSIGN_OR_RETURN(const MigrationStatus status,
                            CheckMigrations(backend, migrations));
  MigrationOutcome outcome;
  outcome.version_before = status.current_version;
  outcome.version_after = status.current_version;
  if (atomicity == MigrationAtomicity::kAllPending) {
    std::vector<const Migration*> pending;
    for (const Migration& migration : migrations) {
      if (migration.version > status.current_version) {
        pending.push_back(&migration);
      }
    }
    if (pending.empty()) return outcome;
    TENANTRY_RETURN_IF_ERROR(backend.ApplyAll(pending));
    for (const Migration* migration : pending) {
      outcome.applied.push_back(migration->name);
    }
    outcome.version_after = pending.back()->version;
    return outcome;
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= status.current_version) continue;
    absl::Status applied = backend.Apply(migration);
    if (!applied.ok()) {
      return absl::Status(applied.code(),
                          absl::StrCat("migration ", migration.name,
                                       " failed: ", applied.message()));
    }
    outcome.version_after = migration.version;
    outcome.applied.push_back(migration.name);
  }
  return outcome;
}

absl::StatusOr<int64_t> AppliedVersion(MigrationBackend& backend) {
  TENANTRY_ASSIGN_OR_RETURN(const std::vector<AppliedMigration> history,
                            backend.LoadHistory());
  int64_t version = 0;
  for (const AppliedMigration& applied : history) {
    version = std::max(version, applied.version);
  }
  return version;
}

absl::StatusOr<MigrationOutcome> RevertMigrations(
    MigrationBackend& backend, const std::vector<Migration>& migrations,
    int64_t target_version,
    const std::function<void(const Migration&)>& on_reverted) {
  if (target_version < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the target version ", target_version,
                     " is negative; use 0 to revert every migration"));
  }
  TENANTRY_ASSIGN_OR_RETURN(const std::vector<AppliedMigration> history,
                            backend.LoadHistory());
  // CheckMigrations has proved that every applied version is known and
  // unchanged, so the lookups below find each one.
  TENANTRY_ASSIGN_OR_RETURN(const MigrationStatus status,
                            CheckMigrations(backend, migrations));
  if (target_version > status.latest_version) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the target version ", target_version, " is above ",
        status.latest_version,
        ", the latest migration; migrate down only goes to a lower version, "
        "and migrate shared or migrate tenants goes up"));
  }
  absl::flat_hash_map<int64_t, const Migration*> known;
  for (const Migration& migration : migrations) {
    known[migration.version] = &migration;
  }
  // Applied versions, highest first; there may be gaps, such as a version
  // that was never applied because it was added after a later one.
  std::vector<int64_t> applied;
  for (const AppliedMigration& entry : history) {
    applied.push_back(entry.version);
  }
  std::sort(applied.rbegin(), applied.rend());

  std::vector<const Migration*> to_revert;
  std::vector<std::string> missing;
  for (const int64_t version : applied) {
    if (version <= target_version) break;
    const Migration* migration = known.at(version);
    if (!migration->down_sql.has_value()) {
      missing.push_back(DownFileName(*migration));
    }
    to_revert.push_back(migration);
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot revert to version ", target_version, " because ",
        absl::StrJoin(missing, ", "), missing.size() == 1 ? " is" : " are",
        " missing; nothing was reverted. Write the down file next to its "
        "up file and build again, or choose a higher --to version"));
  }

  MigrationOutcome outcome;
  outcome.version_before = status.current_version;
  outcome.version_after = status.current_version;
  for (size_t i = 0; i < to_revert.size(); ++i) {
    const Migration& migration = *to_revert[i];
    // to_revert[i] is applied[i], so the next applied version is what
    // remains once it is reverted.
    const int64_t version_after = i + 1 < applied.size() ? applied[i + 1] : 0;
    absl::Status reverted = backend.Revert(migration, version_after);
    if (!reverted.ok()) {
      return absl::Status(
          reverted.code(),
          absl::StrCat(DownFileName(migration), " failed: ", reverted.message(),
                       ". The database stays at version ",
                       outcome.version_after));
    }
    outcome.version_after = version_after;
    outcome.applied.push_back(DownFileName(migration));
    if (on_reverted) on_reverted(migration);
  }
  return outcome;
}

absl::StatusOr<std::vector<Migration>> LoadMigrationsFromDirectory(
    const std::string& directory) {
  std::error_code error;
  std::filesystem::directory_iterator entries(directory, error);
  if (error) {
    return absl::NotFoundError(absl::StrCat("cannot read migrations directory ",
                                            directory, ": ", error.message()));
  }
  static const std::regex kName("(([0-9]{4})_[a-z0-9_]+)\\.(up|down)\\.sql");
  std::map<int64_t, Migration> by_version;
  struct DownFile {
    std::string name;
    std::string sql;
  };
  // Down files by the name of the up file they belong to.
  std::map<std::string, DownFile> down_files;
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, ".sql")) continue;
    std::smatch match;
    if (!std::regex_match(name, match, kName)) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration file ", entry.path().string(),
                       " is not named NNNN_description.up.sql or "
                       "NNNN_description.down.sql"));
    }
    std::ifstream file(entry.path(), std::ios::binary);
    std::stringstream sql;
    sql << file.rdbuf();
    if (!file) {
      return absl::NotFoundError(
          absl::StrCat("cannot read migration file ", entry.path().string()));
    }
    if (match[3].str() == "down") {
      down_files[absl::StrCat(match[1].str(), ".up.sql")] = {name, sql.str()};
      continue;
    }
    const int64_t version = std::stoll(match[2].str());
    if (by_version.count(version) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("migrations ", by_version[version].name, " and ", name,
                       " have the same version ", version));
    }
    by_version[version] = Migration{version, name, sql.str()};
  }
  // An empty list would make every applied migration look unknown.
  if (by_version.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        directory, " has no migration files named NNNN_description.up.sql"));
  }
  for (auto& [up_name, down_file] : down_files) {
    const auto up = std::find_if(
        by_version.begin(), by_version.end(),
        [&up_name](const auto& entry) { return entry.second.name == up_name; });
    if (up == by_version.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "down file ", directory, "/", down_file.name, " has no up file ",
          up_name, "; rename it to match its up file or remove it"));
    }
    up->second.down_sql = std::move(down_file.sql);
  }
  std::vector<Migration> migrations;
  for (auto& [version, migration] : by_version) {
    migrations.push_back(std::move(migration));
  }
  return migrations;
}

}  // namespace tenantry::storage
