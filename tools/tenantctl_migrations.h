#ifndef TENANTRY_TOOLS_TENANTCTL_MIGRATIONS_H_
#define TENANTRY_TOOLS_TENANTCTL_MIGRATIONS_H_

// The tenantctl commands that write new migrations and revert applied
// ones: `migration new` and `migrate down`.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "storage/migrations.h"

namespace tenantry::tools {

// Writes the next numbered pair NNNN_NAME.up.sql and NNNN_NAME.down.sql of
// `track` ("tenant" or "shared") into `<migrations_dir>/<track>/`, each
// with a comment on what to write, and prints both paths to `out`. The
// number is one more than the highest of the track's files. Never
// overwrites a file. Returns the exit code; errors go to `err`.
int NewMigration(const std::string& migrations_dir, const std::string& track,
                 const std::string& name, std::ostream& out, std::ostream& err);

// Reverts the shared store selected by `shared_db_url` (sqlite:PATH or a
// PostgreSQL URL) to `target_version` with the built-in shared
// migrations, printing each step to `out`. On PostgreSQL it holds the
// migration lock that a starting server takes too. Returns the exit code.
int MigrateSharedDown(const std::string& shared_db_url, int64_t target_version,
                      std::ostream& out, std::ostream& err);

// Reverts each database of `tenant_ids` under `data_dir` to
// `target_version`, each tenant on its own, and prints one line per
// tenant with its version before and after, then a count. With
// `print_steps`, also prints each reverted migration. Before it changes
// any tenant, fails if a down file above the target is missing from
// `migrations`. Returns 1 if any tenant failed.
int MigrateTenantsDown(const std::vector<std::string>& tenant_ids,
                       const std::string& data_dir,
                       const std::vector<storage::Migration>& migrations,
                       int64_t target_version, bool print_steps,
                       std::ostream& out, std::ostream& err);

}  // namespace tenantry::tools

#endif  // TENANTRY_TOOLS_TENANTCTL_MIGRATIONS_H_
