// tenantctl: applies migrations, reports schema versions, and loads
// sample data. Run `tenantctl --help` for the commands.

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/ids.h"
#include "storage/postgres_pool.h"
#include "storage/shared_store.h"
#include "storage/shared_store_rows.h"
#include "storage/status_macros.h"
#include "storage/tenant_cache.h"
#include "storage/tenant_database.h"
#include "storage/tenant_registry.h"
#include "tools/dev_data.h"
#include "tools/tenantctl_backup.h"
#include "tools/tenantctl_migrations.h"

ABSL_FLAG(std::string, data_dir, "data",
          "Directory of the tenant databases and the default shared store; "
          "the same as the server's --data_dir.");
ABSL_FLAG(std::string, shared_db, "",
          "Shared store URL: sqlite:PATH or "
          "postgresql://user:password@host:port/database. Empty means "
          "sqlite:<data_dir>/shared.db.");
ABSL_FLAG(std::string, tenant, "",
          "For `migrate tenants`, `migrate down`, `status` and `purge`: "
          "only this tenant, which must be registered. For `backup`: the "
          "tenant to copy. For `restore`: the id to register the copy as, "
          "which must not be registered.");
ABSL_FLAG(std::string, tenant_migrations_dir, "",
          "For `migrate tenants`, `migrate down` and `status`: read the "
          "tenant migrations from NNNN_name.up.sql and NNNN_name.down.sql "
          "files in this directory instead of the ones built into "
          "tenantctl, to try a new migration before it is built in. Empty "
          "means the built-in ones.");

ABSL_FLAG(bool, ignore_purge_time, false,
          "For `purge`: also purge DELETED tenants whose purge time has not "
          "come yet. Tenants that are not DELETED are never purged.");
ABSL_FLAG(absl::Duration, tenant_retention, absl::Hours(168),
          "For `purge` without --tenant: request ids of CreateTenant and "
          "CreateUser older than this are deleted. Use the server's "
          "--tenant_retention.");

ABSL_FLAG(bool, overwrite, false,
          "For `backup`: replace an existing output file instead of failing.");
ABSL_FLAG(std::string, display_name, "",
          "For `restore`: the display name of the restored tenant. Empty "
          "means the tenant id.");
ABSL_FLAG(std::string, track, "",
          "For `migration new` and `migrate down`: the migration track, "
          "tenant or shared.");
ABSL_FLAG(std::string, migrations_dir, "migrations",
          "For `migration new`: the directory with the shared/ and tenant/ "
          "migration directories.");
ABSL_FLAG(int64_t, to, -1,
          "For `migrate down`: the schema version to return to; every "
          "applied migration above it is reverted. 0 reverts all.");

namespace tenantry::tools {
namespace {

constexpr char kUsage[] =
    "Manages Tenantry's stores.\n"
    "\n"
    "Commands:\n"
    "  tenantctl migrate shared           apply shared-store migrations\n"
    "  tenantctl migrate tenants          migrate every tenant database\n"
    "  tenantctl migrate tenants --tenant=ID   migrate one tenant\n"
    "      each tenant in one transaction; exits 1 if any tenant failed\n"
    "  tenantctl status                   show schema versions; exits 1\n"
    "      if the shared store or a tenant is behind\n"
    "  tenantctl status --tenant=ID       show one tenant's version\n"
    "  tenantctl init-dev-data            load sample tenants and data\n"
    "  tenantctl purge                    remove the DELETED tenants whose\n"
    "      purge time has passed, with their data and keys, and old\n"
    "      request ids; exits 1 if any tenant failed\n"
    "  tenantctl purge --tenant=ID        purge one DELETED tenant\n"
    "  tenantctl purge --ignore_purge_time    purge DELETED tenants before\n"
    "      their purge time too\n"
    "  tenantctl backup --tenant=ID OUT   copy a tenant's database to the\n"
    "      new file OUT while the server runs (--overwrite replaces OUT)\n"
    "  tenantctl restore IN --tenant=ID   register the copy IN as tenant ID,\n"
    "      migrated to the latest version; ID must not be registered\n"
    "  tenantctl migration new --track=tenant|shared NAME\n"
    "      write the next NNNN_NAME.up.sql and NNNN_NAME.down.sql into\n"
    "      --migrations_dir (default: migrations)\n"
    "  tenantctl migrate down --track=shared --to=VERSION\n"
    "  tenantctl migrate down --track=tenant [--tenant=ID] --to=VERSION\n"
    "      revert every applied migration above VERSION with its down\n"
    "      file, each in its own transaction; stop the server first\n"
    "\n"
    "Flags --data_dir and --shared_db select the stores, as for the "
    "server. Only `migrate shared` and `init-dev-data` create a SQLite "
    "shared store that does not exist.";

// Characters that a POSIX shell takes literally in an unquoted word.
constexpr absl::string_view kShellSafeCharacters =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "_-./:@%+=,";

// Returns `value` as one shell word: unchanged if the shell takes it
// literally, otherwise in single quotes.
std::string ShellQuote(absl::string_view value) {
  if (!value.empty() && value.find_first_not_of(kShellSafeCharacters) ==
                            absl::string_view::npos) {
    return std::string(value);
  }
  return absl::StrCat("'", absl::StrReplaceAll(value, {{"'", "'\\''"}}), "'");
}

// Returns the tenantctl command line that runs `command` on the stores of
// this run, to print in hints. It repeats --data_dir and --shared_db unless
// they are at their defaults, and --tenant_migrations_dir for `migrate
// tenants`. The password in --shared_db is shown as ***.
std::string CommandHint(absl::string_view command) {
  std::vector<std::string> words = {"tenantctl"};
  const absl::CommandLineFlag& data_dir =
      absl::GetFlagReflectionHandle(FLAGS_data_dir);
  if (data_dir.CurrentValue() != data_dir.DefaultValue()) {
    words.push_back(
        absl::StrCat("--data_dir=", ShellQuote(absl::GetFlag(FLAGS_data_dir))));
  }
  const std::string shared_db = absl::GetFlag(FLAGS_shared_db);
  if (!shared_db.empty()) {
    words.push_back(absl::StrCat("--shared_db=",
                                 ShellQuote(storage::RedactUrl(shared_db))));
  }
  const std::string migrations_dir = absl::GetFlag(FLAGS_tenant_migrations_dir);
  if (!migrations_dir.empty() && absl::StartsWith(command, "migrate tenants")) {
    words.push_back(
        absl::StrCat("--tenant_migrations_dir=", ShellQuote(migrations_dir)));
  }
  words.push_back(std::string(command));
  return absl::StrJoin(words, " ");
}

struct Stores {
  std::string data_dir;
  std::unique_ptr<storage::SharedStore> shared_store;
  std::unique_ptr<storage::TenantCache> cache;
  std::unique_ptr<storage::TenantRegistry> registry;
};

// Whether a command may create a SQLite shared store that does not exist.
enum class SharedStoreCreation { kCreateIfMissing, kRequireExisting };

// Opens the stores selected by --data_dir and --shared_db. With
// kRequireExisting, returns FAILED_PRECONDITION for a SQLite shared store
// file that does not exist, and creates nothing.
absl::StatusOr<Stores> OpenStores(SharedStoreCreation creation) {
  Stores stores;
  stores.data_dir = absl::GetFlag(FLAGS_data_dir);
  if (stores.data_dir.empty()) {
    return absl::InvalidArgumentError("--data_dir must not be empty");
  }

  std::string url = absl::GetFlag(FLAGS_shared_db);
  if (url.empty()) url = storage::DefaultSharedStoreUrl(stores.data_dir);
  absl::string_view sqlite_path = url;
  // OpenSharedStore rejects an empty path after the prefix.
  if (absl::ConsumePrefix(&sqlite_path, "sqlite:") && !sqlite_path.empty()) {
    if (creation == SharedStoreCreation::kCreateIfMissing) {
      // SQLite creates the file but not its directory.
      TENANTRY_RETURN_IF_ERROR(storage::CreateDirectory(stores.data_dir));
    } else {
      // An error other than "not found" is left to OpenSharedStore, which
      // reports it with the cause.
      std::error_code error;
      if (!std::filesystem::exists(std::string(sqlite_path), error) && !error) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the shared store ", sqlite_path,
            " does not exist. Check --data_dir and --shared_db, or create it "
            "with: ",
            CommandHint("migrate shared")));
      }
    }
  }

  TENANTRY_ASSIGN_OR_RETURN(stores.shared_store, storage::OpenSharedStore(url));
  storage::TenantCache::Options cache_options;
  cache_options.data_dir = stores.data_dir;
  cache_options.capacity = 8;
  stores.cache = std::make_unique<storage::TenantCache>(cache_options);
  stores.registry = std::make_unique<storage::TenantRegistry>(
      stores.shared_store.get(), stores.cache.get());
  return stores;
}

// Returns FAILED_PRECONDITION unless the shared schema is current; the
// other commands read the tenant registry.
absl::Status RequireCurrentSharedSchema(storage::SharedStore& store) {
  TENANTRY_ASSIGN_OR_RETURN(const storage::MigrationStatus status,
                            store.GetMigrationStatus());
  if (status.current_version < status.latest_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the shared store is at version ", status.current_version, " of ",
        status.latest_version, ". Run: ", CommandHint("migrate shared")));
  }
  return absl::OkStatus();
}

// Returns the ids of all registered tenants, in id order.
absl::StatusOr<std::vector<std::string>> AllTenantIds(
    storage::SharedStore& store) {
  std::vector<std::string> ids;
  storage::PageRequest page{1000, ""};
  while (true) {
    TENANTRY_ASSIGN_OR_RETURN(
        const storage::Page<storage::TenantRecord> tenants,
        store.ListTenants(page));
    for (const storage::TenantRecord& tenant : tenants.items) {
      ids.push_back(tenant.id);
    }
    if (!tenants.has_more) return ids;
    page.after_id = ids.back();
  }
}

// Returns the tenant that --tenant selects, after checking that it is
// registered, or all registered tenants if --tenant is empty. Run()
// has validated the id.
absl::StatusOr<std::vector<std::string>> SelectedTenantIds(
    storage::SharedStore& store) {
  const std::string only = absl::GetFlag(FLAGS_tenant);
  if (!only.empty()) {
    TENANTRY_RETURN_IF_ERROR(store.GetTenant(only).status());
    return std::vector<std::string>{only};
  }
  absl::StatusOr<std::vector<std::string>> all = AllTenantIds(store);
  if (!all.ok()) {
    return absl::Status(
        all.status().code(),
        absl::StrCat("failed to list tenants: ", all.status().message()));
  }
  return all;
}

int MigrateShared(Stores& stores) {
  absl::StatusOr<storage::MigrationOutcome> outcome =
      stores.shared_store->Migrate();
  if (!outcome.ok()) {
    std::cerr << "tenantctl: shared migration failed: "
              << outcome.status().message() << "\n";
    return EXIT_FAILURE;
  }
  std::cout << "shared store: version " << outcome->version_before << " -> "
            << outcome->version_after;
  if (!outcome->applied.empty()) {
    std::cout << " (applied " << absl::StrJoin(outcome->applied, ", ") << ")";
  }
  std::cout << "\n";
  return EXIT_SUCCESS;
}

// Returns the tenant migrations selected by --tenant_migrations_dir.
absl::StatusOr<std::vector<storage::Migration>> SelectedTenantMigrations() {
  const std::string directory = absl::GetFlag(FLAGS_tenant_migrations_dir);
  if (directory.empty()) return storage::TenantMigrations();
  return storage::LoadMigrationsFromDirectory(directory);
}

std::string VersionText(const absl::StatusOr<int64_t>& version) {
  return version.ok() ? absl::StrCat(*version) : "?";
}

// Migrates each selected tenant in its own transaction; one failure does
// not stop the others but makes the exit status non-zero.
int MigrateTenants(Stores& stores) {
  absl::StatusOr<std::vector<storage::Migration>> selected =
      SelectedTenantMigrations();
  if (!selected.ok()) {
    std::cerr << "tenantctl: " << selected.status().message() << "\n";
    return EXIT_FAILURE;
  }
  const std::vector<storage::Migration>& migrations = *selected;
  absl::Status shared = RequireCurrentSharedSchema(*stores.shared_store);
  if (!shared.ok()) {
    std::cerr << "tenantctl: " << shared.message() << "\n";
    return EXIT_FAILURE;
  }
  absl::StatusOr<std::vector<std::string>> selected_ids =
      SelectedTenantIds(*stores.shared_store);
  if (!selected_ids.ok()) {
    std::cerr << "tenantctl: " << selected_ids.status().message() << "\n";
    return EXIT_FAILURE;
  }
  const std::vector<std::string>& ids = *selected_ids;

  int failures = 0;
  for (const std::string& id : ids) {
    const std::string path = storage::TenantDatabasePath(stores.data_dir, id);
    const absl::StatusOr<int64_t> before =
        storage::GetTenantAppliedVersion(path);
    absl::StatusOr<storage::MigrationOutcome> outcome =
        before.ok()
            ? storage::MigrateTenantDatabaseFile(path, migrations)
            : absl::StatusOr<storage::MigrationOutcome>(before.status());
    // Read the version again rather than trust the outcome: after a
    // failure this is where the tenant was left.
    const absl::StatusOr<int64_t> after =
        storage::GetTenantAppliedVersion(path);
    std::cout << "tenant " << id << ": version " << VersionText(before)
              << " -> " << VersionText(after);
    if (outcome.ok()) {
      std::cout << " ok\n";
    } else {
      ++failures;
      std::cout << " FAILED: " << outcome.status().message() << "\n";
    }
  }
  std::cout << ids.size() - failures << " of " << ids.size()
            << " tenants migrated\n";
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int Status(Stores& stores) {
  absl::StatusOr<storage::MigrationStatus> shared =
      stores.shared_store->GetMigrationStatus();
  if (!shared.ok()) {
    std::cerr << "tenantctl: " << shared.status().message() << "\n";
    return EXIT_FAILURE;
  }
  const bool shared_is_behind =
      shared->current_version < shared->latest_version;
  std::cout << "shared store: version " << shared->current_version << " of "
            << shared->latest_version
            << (shared_is_behind ? absl::StrCat("  BEHIND: run ",
                                                CommandHint("migrate shared"))
                                 : "")
            << "\n";
  if (shared_is_behind) return EXIT_FAILURE;

  absl::StatusOr<std::vector<std::string>> ids =
      SelectedTenantIds(*stores.shared_store);
  if (!ids.ok()) {
    std::cerr << "tenantctl: " << ids.status().message() << "\n";
    return EXIT_FAILURE;
  }
  absl::StatusOr<std::vector<storage::Migration>> migrations =
      SelectedTenantMigrations();
  if (!migrations.ok()) {
    std::cerr << "tenantctl: " << migrations.status().message() << "\n";
    return EXIT_FAILURE;
  }
  int behind = 0;
  for (const std::string& id : *ids) {
    absl::StatusOr<storage::MigrationStatus> status =
        storage::GetTenantMigrationStatus(
            storage::TenantDatabasePath(stores.data_dir, id), *migrations);
    if (!status.ok()) {
      ++behind;
      std::cout << "tenant " << id << ": ERROR " << status.status().message()
                << "\n";
      continue;
    }
    const bool is_behind = status->current_version < status->latest_version;
    behind += is_behind ? 1 : 0;
    std::cout << "tenant " << id << ": version " << status->current_version
              << " of " << status->latest_version
              << (is_behind
                      ? absl::StrCat("  BEHIND: run ",
                                     CommandHint(absl::StrCat(
                                         "migrate tenants --tenant=", id)))
                      : "")
              << "\n";
  }
  std::cout << ids->size() << " tenants, " << behind
            << " behind or unreadable\n";
  return behind == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int InitDevData(Stores& stores) {
  absl::Status status = RequireCurrentSharedSchema(*stores.shared_store);
  if (status.ok()) status = LoadDevData(*stores.registry, std::cout);
  if (!status.ok()) {
    std::cerr << "tenantctl: init-dev-data failed: " << status.message()
              << "\n";
    return EXIT_FAILURE;
  }
  std::cout << "sample data is loaded\n";
  return EXIT_SUCCESS;
}

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

// Returns "deleted <time>, purge time <time>" for a soft-deleted tenant.
std::string DeletionTimes(const storage::TenantRecord& tenant) {
  return absl::StrCat("deleted ",
                      FormatUtc(tenant.delete_time.value_or(absl::UnixEpoch())),
                      ", purge time ",
                      FormatUtc(tenant.purge_time.value_or(absl::UnixEpoch())));
}

// Purges the one tenant that --tenant names.
int PurgeOneTenant(Stores& stores, const std::string& tenant_id) {
  const bool ignore_purge_time = absl::GetFlag(FLAGS_ignore_purge_time);
  absl::StatusOr<storage::TenantRecord> purged = stores.registry->Purge(
      tenant_id, storage::CurrentTime(), ignore_purge_time);
  if (!purged.ok()) {
    std::cout << "tenant " << tenant_id
              << ": FAILED: " << purged.status().message();
    // A DELETED tenant that failed the precondition is not due yet.
    const absl::StatusOr<storage::TenantRecord> tenant =
        stores.shared_store->GetTenant(tenant_id);
    if (absl::IsFailedPrecondition(purged.status()) && !ignore_purge_time &&
        tenant.ok() && tenant->delete_time.has_value()) {
      std::cout << ". To purge it now, run: "
                << CommandHint(absl::StrCat("purge --tenant=", tenant_id,
                                            " --ignore_purge_time"));
    }
    std::cout << "\n0 tenants purged, 1 failed\n";
    return EXIT_FAILURE;
  }
  std::cout << "tenant " << tenant_id << ": purged (" << DeletionTimes(*purged)
            << ")\n1 tenant purged\n";
  return EXIT_SUCCESS;
}

// Purges DELETED tenants, never others, like the server's purge sweep.
int Purge(Stores& stores) {
  absl::Status shared = RequireCurrentSharedSchema(*stores.shared_store);
  if (!shared.ok()) {
    std::cerr << "tenantctl: " << shared.message() << "\n";
    return EXIT_FAILURE;
  }
  const absl::Duration retention = absl::GetFlag(FLAGS_tenant_retention);
  if (retention <= absl::ZeroDuration()) {
    std::cerr << "tenantctl: --tenant_retention="
              << absl::FormatDuration(retention)
              << " must be positive, for example 168h\n";
    return EXIT_FAILURE;
  }
  const std::string only = absl::GetFlag(FLAGS_tenant);
  if (!only.empty()) return PurgeOneTenant(stores, only);

  stores.registry->set_retention(retention);
  storage::PurgeOptions options;
  options.now = storage::CurrentTime();
  options.ignore_purge_time = absl::GetFlag(FLAGS_ignore_purge_time);
  absl::StatusOr<storage::PurgeReport> report =
      stores.registry->PurgeExpired(options);
  if (!report.ok()) {
    std::cerr << "tenantctl: failed to list the tenants due for purge: "
              << report.status().message() << "\n";
    return EXIT_FAILURE;
  }
  for (const storage::TenantRecord& tenant : report->purged) {
    std::cout << "tenant " << tenant.id << ": purged (" << DeletionTimes(tenant)
              << ")\n";
  }
  for (const auto& [tenant_id, status] : report->failures) {
    std::cout << "tenant " << tenant_id << ": FAILED: " << status.message()
              << "\n";
  }
  std::cout << report->purged.size() << " tenants purged, "
            << report->failures.size() << " failed; ";
  if (report->request_records_status.ok()) {
    std::cout << report->request_records_deleted << " request ids older than "
              << absl::FormatDuration(retention) << " deleted\n";
  } else {
    std::cout << "failed to delete old request ids: "
              << report->request_records_status.message() << "\n";
  }
  return report->failures.empty() && report->request_records_status.ok()
             ? EXIT_SUCCESS
             : EXIT_FAILURE;
}

// Returns --shared_db, or the default shared store of --data_dir.
std::string SharedStoreUrl() {
  const std::string url = absl::GetFlag(FLAGS_shared_db);
  return url.empty()
             ? storage::DefaultSharedStoreUrl(absl::GetFlag(FLAGS_data_dir))
             : url;
}

int Backup(Stores& stores, const std::string& output_path) {
  BackupRequest request;
  request.data_dir = stores.data_dir;
  request.tenant_id = absl::GetFlag(FLAGS_tenant);
  request.output_path = output_path;
  request.overwrite = absl::GetFlag(FLAGS_overwrite);
  return BackupTenant(*stores.shared_store, request, std::cout, std::cerr);
}

int Restore(Stores& stores, const std::string& input_path) {
  absl::Status shared = RequireCurrentSharedSchema(*stores.shared_store);
  if (!shared.ok()) {
    std::cerr << "tenantctl: " << shared.message() << "\n";
    return EXIT_FAILURE;
  }
  RestoreRequest request;
  request.data_dir = stores.data_dir;
  request.tenant_id = absl::GetFlag(FLAGS_tenant);
  request.input_path = input_path;
  request.display_name = absl::GetFlag(FLAGS_display_name);
  request.command_hint = CommandHint;
  return RestoreTenant(*stores.shared_store, request, std::cout, std::cerr);
}

int MigrateTenantsDownCommand(Stores& stores) {
  absl::StatusOr<std::vector<storage::Migration>> migrations =
      SelectedTenantMigrations();
  if (!migrations.ok()) {
    std::cerr << "tenantctl: " << migrations.status().message() << "\n";
    return EXIT_FAILURE;
  }
  absl::StatusOr<std::vector<std::string>> ids =
      SelectedTenantIds(*stores.shared_store);
  if (!ids.ok()) {
    std::cerr << "tenantctl: " << ids.status().message() << "\n";
    return EXIT_FAILURE;
  }
  const bool one_tenant = !absl::GetFlag(FLAGS_tenant).empty();
  return MigrateTenantsDown(*ids, stores.data_dir, *migrations,
                            absl::GetFlag(FLAGS_to), one_tenant, std::cout,
                            std::cerr);
}

// Checks the flags of `migrate down` and returns an error message, or ""
// if they are valid.
std::string MigrateDownFlagError() {
  const std::string track = absl::GetFlag(FLAGS_track);
  if (track != "tenant" && track != "shared") {
    return absl::StrCat("--track is \"", track,
                        "\" but `migrate down` needs --track=tenant or "
                        "--track=shared");
  }
  if (absl::GetFlag(FLAGS_to) < 0) {
    return "`migrate down` needs --to=VERSION, the version to return to; "
           "--to=0 reverts every migration";
  }
  if (track == "shared" && !absl::GetFlag(FLAGS_tenant).empty()) {
    return "--tenant applies only to `migrate down --track=tenant`";
  }
  return "";
}

int Run(const std::vector<std::string>& command) {
  using Handler = std::function<int(Stores&)>;
  Handler handler;
  // `status` and `migrate tenants` write nothing to the shared store, so a
  // missing one means a mistyped --data_dir or --shared_db.
  SharedStoreCreation creation = SharedStoreCreation::kRequireExisting;
  const std::string joined = absl::StrJoin(command, " ");
  const std::string first = command.empty() ? "" : command.front();
  if (first == "backup" || first == "restore") {
    if (command.size() != 2) {
      std::cerr << "tenantctl: " << first << " takes one path: "
                << (first == "backup" ? "tenantctl backup --tenant=ID OUT"
                                      : "tenantctl restore IN --tenant=ID")
                << "\n";
      return EXIT_FAILURE;
    }
    if (absl::GetFlag(FLAGS_tenant).empty()) {
      std::cerr << "tenantctl: " << first << " needs --tenant=ID\n";
      return EXIT_FAILURE;
    }
    const std::string path = command[1];
    handler = [first, path](Stores& stores) {
      return first == "backup" ? Backup(stores, path) : Restore(stores, path);
    };
  } else if (command.size() == 3 && command[0] == "migration" &&
             command[1] == "new") {
    // Writes files in the source tree and opens no store.
    return NewMigration(absl::GetFlag(FLAGS_migrations_dir),
                        absl::GetFlag(FLAGS_track), command[2], std::cout,
                        std::cerr);
  } else if (joined == "migrate down") {
    const std::string error = MigrateDownFlagError();
    if (!error.empty()) {
      std::cerr << "tenantctl: " << error << "\n";
      return EXIT_FAILURE;
    }
    if (absl::GetFlag(FLAGS_track) == "shared") {
      // Works on the schema directly, also when it is too old for
      // SharedStore to read.
      return MigrateSharedDown(SharedStoreUrl(), absl::GetFlag(FLAGS_to),
                               std::cout, std::cerr);
    }
    handler = MigrateTenantsDownCommand;
  } else if (joined == "migrate shared") {
    handler = MigrateShared;
    creation = SharedStoreCreation::kCreateIfMissing;
  } else if (joined == "migrate tenants") {
    handler = MigrateTenants;
  } else if (joined == "status") {
    handler = Status;
  } else if (joined == "init-dev-data") {
    handler = InitDevData;
    creation = SharedStoreCreation::kCreateIfMissing;
  } else if (joined == "purge") {
    handler = Purge;
  } else {
    std::cerr << "tenantctl: unknown command \"" << joined << "\"\n\n"
              << kUsage << "\n";
    return EXIT_FAILURE;
  }

  // The id becomes part of a file path, so check it before any lookup.
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  if (!tenant.empty()) {
    const absl::Status valid = storage::ValidateTenantId(tenant);
    if (!valid.ok()) {
      std::cerr << "tenantctl: " << valid.message() << "\n";
      return EXIT_FAILURE;
    }
  }

  absl::StatusOr<Stores> stores = OpenStores(creation);
  if (!stores.ok()) {
    std::cerr << "tenantctl: " << stores.status().message() << "\n";
    return EXIT_FAILURE;
  }
  return handler(*stores);
}

}  // namespace
}  // namespace tenantry::tools

int main(int argc, char** argv) {
  // By default absl's --help and --helpshort list only the flags of the
  // file named after argv[0], so a renamed binary would list none.
  const std::string flags_file =
      absl::GetFlagReflectionHandle(FLAGS_data_dir).Filename();
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [flags_file](absl::string_view file) {
    return file == flags_file;
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(tenantry::tools::kUsage);
  std::vector<char*> arguments = absl::ParseCommandLine(argc, argv);
  // The first argument is the program name.
  return tenantry::tools::Run(
      std::vector<std::string>(arguments.begin() + 1, arguments.end()));
}
