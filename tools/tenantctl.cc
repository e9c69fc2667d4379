// tenantctl: applies migrations, reports schema versions, and loads
// sample data. Run `tenantctl --help` for the commands.

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/ids.h"
#include "storage/shared_store.h"
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
          "For `migrate tenants`: migrate only this tenant.");
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
    "  tenantctl init-dev-data            load sample tenants and data\n"
    "\n"
    "Flags --data_dir and --shared_db select the stores, as for the "
    "server.";

struct Stores {
  std::string data_dir;
  std::unique_ptr<storage::SharedStore> shared_store;
  std::unique_ptr<storage::TenantCache> cache;
  std::unique_ptr<storage::TenantRegistry> registry;
};

absl::StatusOr<Stores> OpenStores() {
  Stores stores;
  stores.data_dir = absl::GetFlag(FLAGS_data_dir);
  std::string url = absl::GetFlag(FLAGS_shared_db);
  if (url.empty()) url = absl::StrCat("sqlite:", stores.data_dir, "/shared.db");
  if (absl::StartsWith(url, "sqlite:")) {
    // SQLite creates the file but not its directory.
    TENANTRY_RETURN_IF_ERROR(storage::CreateDirectory(stores.data_dir));
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
        status.latest_version, "; run: tenantctl migrate shared"));
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

int MigrateShared(Stores& stores) {
  absl::StatusOr<storage::MigrationOutcome> outcome =
      stores.shared_store->Migrate();
  if (!outcome.ok()) {
    std::cerr << "tenantctl: shared migration failed: " << outcome.status()
              << "\n";
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
  std::vector<std::string> ids;
  const std::string only = absl::GetFlag(FLAGS_tenant);
  if (!only.empty()) {
    absl::Status registered = stores.shared_store->GetTenant(only).status();
    if (!registered.ok()) {
      std::cerr << "tenantctl: " << registered.message() << "\n";
      return EXIT_FAILURE;
    }
    ids.push_back(only);
  } else {
    absl::StatusOr<std::vector<std::string>> all =
        AllTenantIds(*stores.shared_store);
    if (!all.ok()) {
      std::cerr << "tenantctl: failed to list tenants: " << all.status()
                << "\n";
      return EXIT_FAILURE;
    }
    ids = *std::move(all);
  }

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
    std::cerr << "tenantctl: " << shared.status() << "\n";
    return EXIT_FAILURE;
  }
  std::cout << "shared store: version " << shared->current_version << " of "
            << shared->latest_version
            << (shared->current_version < shared->latest_version
                    ? "  BEHIND: run tenantctl migrate shared"
                    : "")
            << "\n";
  if (shared->current_version < shared->latest_version) return EXIT_FAILURE;

  absl::StatusOr<std::vector<std::string>> ids =
      AllTenantIds(*stores.shared_store);
  if (!ids.ok()) {
    std::cerr << "tenantctl: failed to list tenants: " << ids.status() << "\n";
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
              << (is_behind ? absl::StrCat("  BEHIND: run tenantctl migrate "
                                           "tenants --tenant=",
                                           id)
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
    std::cerr << "tenantctl: init-dev-data failed: " << status << "\n";
    return EXIT_FAILURE;
  }
  std::cout << "sample data is loaded\n";
  return EXIT_SUCCESS;
}

int Run(const std::vector<std::string>& command) {
  using Handler = std::function<int(Stores&)>;
  Handler handler;
  const std::string joined = absl::StrJoin(command, " ");
  if (joined == "migrate shared") {
    handler = MigrateShared;
  } else if (joined == "migrate tenants") {
    handler = MigrateTenants;
  } else if (joined == "status") {
    handler = Status;
  } else if (joined == "init-dev-data") {
    handler = InitDevData;
  } else {
    std::cerr << "tenantctl: unknown command \"" << joined << "\"\n\n"
              << kUsage << "\n";
    return EXIT_FAILURE;
  }
  absl::StatusOr<Stores> stores = OpenStores();
  if (!stores.ok()) {
    std::cerr << "tenantctl: " << stores.status() << "\n";
    return EXIT_FAILURE;
  }
  return handler(*stores);
}

}  // namespace
}  // namespace tenantry::tools

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(tenantry::tools::kUsage);
  std::vector<char*> arguments = absl::ParseCommandLine(argc, argv);
  // The first argument is the program name.
  return tenantry::tools::Run(
      std::vector<std::string>(arguments.begin() + 1, arguments.end()));
}
