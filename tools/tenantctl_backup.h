#ifndef TENANTRY_TOOLS_TENANTCTL_BACKUP_H_
#define TENANTRY_TOOLS_TENANTCTL_BACKUP_H_

// The tenantctl commands that copy a tenant's database out and register
// such a copy as a tenant: `backup` and `restore`.

#include <functional>
#include <ostream>
#include <string>

#include "absl/strings/string_view.h"
#include "storage/shared_store.h"

namespace tenantry::tools {

struct BackupRequest {
  std::string data_dir;
  std::string tenant_id;
  std::string output_path;
  // Whether an existing file at `output_path` is replaced.
  bool overwrite = false;
};

// Writes an online copy of the database of the registered tenant
// `request.tenant_id` to `request.output_path`, while a server may go on
// writing to it, and prints the path, schema version, size and SHA-256.
// Returns the exit code; errors go to `err`.
int BackupTenant(storage::SharedStore& store, const BackupRequest& request,
                 std::ostream& out, std::ostream& err);

struct RestoreRequest {
  std::string data_dir;
  std::string tenant_id;
  std::string input_path;
  // The display name of the restored tenant; empty means the tenant id.
  std::string display_name;
  // Returns the full tenantctl command line for a command, for hints.
  std::function<std::string(absl::string_view)> command_hint;
};

// Checks the copy at `request.input_path`, migrates it if it is older,
// puts it in place as the database of `request.tenant_id` and registers
// that tenant as ACTIVE. Rejects a tenant id that is registered, DELETED
// ones included. On failure nothing is left in the data directory or the
// shared store. Returns the exit code.
int RestoreTenant(storage::SharedStore& store, const RestoreRequest& request,
                  std::ostream& out, std::ostream& err);

}  // namespace tenantry::tools

#endif  // TENANTRY_TOOLS_TENANTCTL_BACKUP_H_
