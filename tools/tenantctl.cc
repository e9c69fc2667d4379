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
#include "storage/ids.h"
#include "storage/postgres_pool.h"
#include "storage/shared_store.h"
#include "storage/shared_store_rows.h"
#include "storage/status_macros.h"
#include "storage/tenant_cache.h"
#include "storage/tenant_database.h"
#include "storage/tenant_registry.h"
#include "tools/dev_data.h"

ABSL_FLAG(std::string, data_dir, "data",
          "Directory of the tenant databases and the default shared store; "
          "the same as the server's --data_dir.");
ABSL_FLAG(std::string, shared_db, "",
          "Shared store URL: sqlite:PATH or "
          "postgresql://user:password@host:port/database. Empty means "
          "sqlite:<data_dir>/shared.db.");
ABSL_FLAG(std::string, tenant, "",
          "For `migrate tenants` and `status`: only this tenant, which must "
          "be registered.");
ABSL_FLAG(std::string, tenant_migrations_dir, "",
          "For `migrate tenants` and `status`: read the tenant migrations "
          "from NNNN_name.up.sql files in this directory instead of the "
          "ones built into tenantctl, to try a new migration before it is "
          "built in. Empty means the built-in ones.");

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

int Run(const std::vector<std::string>& command) {
  using Handler = std::function<int(Stores&)>;
  Handler handler;
  // `status` and `migrate tenants` write nothing to the shared store, so a
  // missing one means a mistyped --data_dir or --shared_db.
  SharedStoreCreation creation = SharedStoreCreation::kRequireExisting;
  const std::string joined = absl::StrJoin(command, " ");
  if (joined == "migrate shared") {
    handler = MigrateShared;
    creation = SharedStoreCreation::kCreateIfMissing;
  } else if (joined == "migrate tenants") {
    handler = MigrateTenants;
  } else if (joined == "status") {
    handler = Status;
  } else if (joined == "init-dev-data") {
    handler = InitDevData;
    creation = SharedStoreCreation::kCreateIfMissing;
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
