#include "tools/tenantctl_migrations.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <regex>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "storage/postgres_migrations.h"
#include "storage/postgres_pool.h"
#include "storage/sqlite.h"
#include "storage/status_macros.h"
#include "storage/tenant_database.h"

namespace tenantry::tools {
namespace {

// Longer names make unwieldy file names; the limit is a choice.
constexpr size_t kMaxMigrationNameLength = 64;

std::string UpFileComment(const std::string& track, const std::string& stem) {
  std::string comment = absl::StrCat(
      "-- ", stem, ".up.sql: ", track, " migration.\n",
      "--\n"
      "-- Write the SQL that changes the schema below this comment, and the\n"
      "-- SQL that undoes it in ",
      stem,
      ".down.sql.\n"
      "-- Once this file has been applied to any database, never edit it:\n"
      "-- each database records its checksum and stops with an error that\n"
      "-- names a changed file. Make later changes in a new migration.\n");
  if (track == "shared") {
    absl::StrAppend(&comment,
                    "-- Shared migrations run on SQLite and on PostgreSQL, so "
                    "use SQL\n-- that both accept.\n");
  } else {
    absl::StrAppend(&comment,
                    "-- tenantctl migrate tenants applies it to every tenant "
                    "database,\n-- each tenant in one transaction.\n");
  }
  return absl::StrCat(comment, "\n");
}

std::string DownFileComment(const std::string& stem) {
  return absl::StrCat(
      "-- ", stem, ".down.sql: undoes ", stem,
      ".up.sql for tenantctl\n"
      "-- migrate down.\n"
      "--\n"
      "-- Write the SQL that returns the schema to the previous version:\n"
      "-- drop what the up file creates, in the reverse order. SQLite cannot\n"
      "-- drop a column that an index or a UNIQUE constraint uses, so drop\n"
      "-- that index first. A down file runs in one transaction with the\n"
      "-- removal of its migration from the history. Like the up file, it\n"
      "-- must not change once it has been used.\n\n");
}

// Creates `path` with `contents`; fails if the file exists.
absl::Status WriteNewFile(const std::string& path,
                          const std::string& contents) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    return absl::Status(
        errno == EEXIST ? absl::StatusCode::kAlreadyExists
                        : absl::StatusCode::kInternal,
        absl::StrCat("failed to create ", path, ": ", strerror(errno)));
  }
  const ssize_t written = write(fd, contents.data(), contents.size());
  const bool complete = written == static_cast<ssize_t>(contents.size());
  const int write_error = errno;
  close(fd);
  if (!complete) {
    unlink(path.c_str());
    return absl::InternalError(
        absl::StrCat("failed to write ", path, ": ", strerror(write_error)));
  }
  return absl::OkStatus();
}

std::string VersionText(const absl::StatusOr<int64_t>& version) {
  return version.ok() ? absl::StrCat(*version) : "?";
}

// Returns the down files of `migrations` above `target_version` that do
// not exist.
std::vector<std::string> MissingDownFiles(
    const std::vector<storage::Migration>& migrations, int64_t target_version) {
  std::vector<std::string> missing;
  for (auto it = migrations.rbegin(); it != migrations.rend(); ++it) {
    if (it->version > target_version && !it->down_sql.has_value()) {
      missing.push_back(storage::DownFileName(*it));
    }
  }
  return missing;
}

// Runs RevertMigrations on `backend` and prints one line per step, each
// starting with `subject`, then the versions before and after.
int RevertAndPrint(storage::MigrationBackend& backend,
                   const std::vector<storage::Migration>& migrations,
                   int64_t target_version, const std::string& subject,
                   std::ostream& out, std::ostream& err) {
  absl::StatusOr<storage::MigrationOutcome> outcome = storage::RevertMigrations(
      backend, migrations, target_version,
      [&](const storage::Migration& migration) {
        out << subject << ": reverted " << migration.name << " with "
            << storage::DownFileName(migration) << "\n";
      });
  if (!outcome.ok()) {
    err << "tenantctl: " << subject
        << ": migrate down failed: " << outcome.status().message() << "\n";
    return EXIT_FAILURE;
  }
  out << subject << ": version " << outcome->version_before << " -> "
      << outcome->version_after << "\n";
  return EXIT_SUCCESS;
}

int MigrateSqliteSharedDown(const std::string& path, int64_t target_version,
                            std::ostream& out, std::ostream& err) {
  // Opening with create_if_missing unset fails for a missing file, so a
  // mistyped path creates nothing.
  absl::StatusOr<std::unique_ptr<storage::SqliteConnection>> connection =
      storage::SqliteConnection::Open(path,
                                      storage::SqliteConnection::Options());
  if (!connection.ok()) {
    err << "tenantctl: " << connection.status().message() << "\n";
    return EXIT_FAILURE;
  }
  storage::SqliteMigrationBackend backend(connection->get());
  return RevertAndPrint(backend, storage::SharedMigrations(), target_version,
                        "shared store", out, err);
}

int MigratePostgresSharedDown(const std::string& url, int64_t target_version,
                              std::ostream& out, std::ostream& err) {
  storage::PostgresPool::Options options;
  options.url = url;
  options.size = 1;
  storage::PostgresPool pool(options);
  absl::StatusOr<storage::PostgresPool::Lease> lease = pool.Acquire();
  if (!lease.ok()) {
    err << "tenantctl: " << lease.status().message() << "\n";
    return EXIT_FAILURE;
  }
  const std::string password = storage::PasswordOfUrl(url);
  absl::StatusOr<storage::PostgresMigrationLock> lock =
      storage::PostgresMigrationLock::Acquire(lease->connection(), password);
  if (!lock.ok()) {
    err << "tenantctl: " << lock.status().message() << "\n";
    return EXIT_FAILURE;
  }
  storage::PostgresMigrationBackend backend(lease->connection(), password);
  return RevertAndPrint(backend, storage::SharedMigrations(), target_version,
                        "shared store", out, err);
}

}  // namespace

int NewMigration(const std::string& migrations_dir, const std::string& track,
                 const std::string& name, std::ostream& out,
                 std::ostream& err) {
  if (track != "tenant" && track != "shared") {
    err << "tenantctl: --track is \"" << track
        << "\" but must be tenant or shared\n";
    return EXIT_FAILURE;
  }
  static const std::regex kValidName("[a-z0-9_]+");
  if (name.size() > kMaxMigrationNameLength ||
      !std::regex_match(name, kValidName)) {
    err << "tenantctl: the migration name \"" << name
        << "\" is invalid; use lowercase letters, digits and '_', at most "
        << kMaxMigrationNameLength
        << " characters, such as add_profile_notes\n";
    return EXIT_FAILURE;
  }
  const std::string directory = absl::StrCat(migrations_dir, "/", track);
  std::error_code error;
  std::filesystem::directory_iterator entries(directory, error);
  if (error) {
    err << "tenantctl: cannot read " << directory << ": " << error.message()
        << ". Run tenantctl in the repository root or pass "
           "--migrations_dir=PATH/migrations\n";
    return EXIT_FAILURE;
  }
  static const std::regex kFileName(
      "([0-9]{4})_([a-z0-9_]+)\\.(up|down)\\.sql");
  int64_t highest = 0;
  std::string same_name;
  for (const auto& entry : entries) {
    const std::string file = entry.path().filename().string();
    std::smatch match;
    if (std::regex_match(file, match, kFileName)) {
      highest = std::max<int64_t>(highest, std::stoll(match[1].str()));
      if (match[2].str() == name) same_name = file;
    }
  }
  // Two migrations of one name would differ only in their numbers.
  if (!same_name.empty()) {
    err << "tenantctl: " << directory << "/" << same_name
        << " already has the name \"" << name
        << "\"; choose a name that says what this migration changes\n";
    return EXIT_FAILURE;
  }
  if (highest >= 9999) {
    err << "tenantctl: " << directory
        << " already has migration 9999, the last four-digit number\n";
    return EXIT_FAILURE;
  }
  const std::string stem = absl::StrFormat("%04d_%s", highest + 1, name);
  const std::string up_path = absl::StrCat(directory, "/", stem, ".up.sql");
  const std::string down_path = absl::StrCat(directory, "/", stem, ".down.sql");
  absl::Status written = WriteNewFile(up_path, UpFileComment(track, stem));
  if (written.ok()) {
    written = WriteNewFile(down_path, DownFileComment(stem));
    // A half-written pair would embed an up file without its down file.
    if (!written.ok()) unlink(up_path.c_str());
  }
  if (!written.ok()) {
    err << "tenantctl: " << written.message() << "; nothing was written\n";
    return EXIT_FAILURE;
  }
  out << up_path << "\n" << down_path << "\n";
  return EXIT_SUCCESS;
}

int MigrateSharedDown(const std::string& shared_db_url, int64_t target_version,
                      std::ostream& out, std::ostream& err) {
  const std::vector<std::string> missing =
      MissingDownFiles(storage::SharedMigrations(), target_version);
  if (!missing.empty()) {
    err << "tenantctl: cannot migrate the shared store down to version "
        << target_version << " because " << absl::StrJoin(missing, ", ")
        << (missing.size() == 1 ? " is" : " are")
        << " missing; nothing was changed\n";
    return EXIT_FAILURE;
  }
  absl::string_view path = shared_db_url;
  if (absl::ConsumePrefix(&path, "sqlite:") && !path.empty()) {
    return MigrateSqliteSharedDown(std::string(path), target_version, out, err);
  }
  if (absl::StartsWith(shared_db_url, "postgresql://") ||
      absl::StartsWith(shared_db_url, "postgres://")) {
    return MigratePostgresSharedDown(shared_db_url, target_version, out, err);
  }
  err << "tenantctl: unsupported shared store URL \""
      << storage::RedactUrl(shared_db_url)
      << "\": expected sqlite:PATH or "
         "postgresql://user:password@host:port/database\n";
  return EXIT_FAILURE;
}

int MigrateTenantsDown(const std::vector<std::string>& tenant_ids,
                       const std::string& data_dir,
                       const std::vector<storage::Migration>& migrations,
                       int64_t target_version, bool print_steps,
                       std::ostream& out, std::ostream& err) {
  const std::vector<std::string> missing =
      MissingDownFiles(migrations, target_version);
  if (!missing.empty()) {
    err << "tenantctl: cannot migrate tenants down to version "
        << target_version << " because " << absl::StrJoin(missing, ", ")
        << (missing.size() == 1 ? " is" : " are")
        << " missing; no tenant was changed\n";
    return EXIT_FAILURE;
  }
  int failures = 0;
  for (const std::string& id : tenant_ids) {
    const std::string subject = absl::StrCat("tenant ", id);
    const std::string path = storage::TenantDatabasePath(data_dir, id);
    absl::StatusOr<std::unique_ptr<storage::SqliteConnection>> connection =
        storage::SqliteConnection::Open(path,
                                        storage::SqliteConnection::Options());
    absl::StatusOr<int64_t> before = absl::UnknownError("not read");
    absl::StatusOr<int64_t> after = before;
    absl::StatusOr<storage::MigrationOutcome> outcome = before.status();
    if (!connection.ok()) {
      outcome = connection.status();
    } else {
      storage::SqliteMigrationBackend backend(connection->get());
      before = storage::AppliedVersion(backend);
      outcome = storage::RevertMigrations(
          backend, migrations, target_version,
          [&](const storage::Migration& migration) {
            if (print_steps) {
              out << subject << ": reverted " << migration.name << " with "
                  << storage::DownFileName(migration) << "\n";
            }
          });
      // Read the version again rather than trust the outcome: after a
      // failure this is where the tenant was left.
      after = storage::AppliedVersion(backend);
    }
    out << subject << ": version " << VersionText(before) << " -> "
        << VersionText(after);
    if (outcome.ok()) {
      out << " ok";
      if (!print_steps && !outcome->applied.empty()) {
        out << " (reverted " << absl::StrJoin(outcome->applied, ", ") << ")";
      }
      out << "\n";
    } else {
      ++failures;
      out << " FAILED: " << outcome.status().message() << "\n";
    }
  }
  out << tenant_ids.size() - failures << " of " << tenant_ids.size()
      << " tenants migrated down\n";
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace tenantry::tools
