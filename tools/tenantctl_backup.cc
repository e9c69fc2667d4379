#include "tools/tenantctl_backup.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/records.h"
#include "storage/tenant_backup.h"
#include "storage/tenant_database.h"

namespace tenantry::tools {

int BackupTenant(storage::SharedStore& store, const BackupRequest& request,
                 std::ostream& out, std::ostream& err) {
  // A DELETED tenant keeps its database until it is purged, so it can be
  // copied too.
  absl::StatusOr<storage::TenantRecord> tenant =
      store.GetTenant(request.tenant_id);
  if (!tenant.ok()) {
    err << "tenantctl: " << tenant.status().message() << "\n";
    return EXIT_FAILURE;
  }
  storage::BackupOptions options;
  options.replace_existing = request.overwrite;
  absl::StatusOr<storage::BackupInfo> backup = storage::BackupDatabaseFile(
      storage::TenantDatabasePath(request.data_dir, request.tenant_id),
      request.output_path, options);
  if (absl::IsAlreadyExists(backup.status())) {
    err << "tenantctl: " << request.output_path
        << " already exists; choose another path, or pass --overwrite to "
           "replace it\n";
    return EXIT_FAILURE;
  }
  if (!backup.ok()) {
    err << "tenantctl: backup of tenant \"" << request.tenant_id
        << "\" failed: " << backup.status().message() << "\n";
    return EXIT_FAILURE;
  }
  absl::StatusOr<std::string> sha256 = storage::FileSha256(request.output_path);
  if (!sha256.ok()) {
    err << "tenantctl: " << sha256.status().message() << "\n";
    return EXIT_FAILURE;
  }
  out << "path: " << request.output_path << "\n"
      << "tenant: " << request.tenant_id << "\n"
      << "schema_version: " << backup->schema_version << "\n"
      << "size_bytes: " << backup->size_bytes << "\n"
      << "sha256: " << *sha256 << "\n";
  return EXIT_SUCCESS;
}

int RestoreTenant(storage::SharedStore& store, const RestoreRequest& request,
                  std::ostream& out, std::ostream& err) {
  const std::string& id = request.tenant_id;
  absl::StatusOr<storage::TenantRecord> existing = store.GetTenant(id);
  if (existing.ok()) {
    if (existing->delete_time.has_value()) {
      err << "tenantctl: tenant \"" << id
          << "\" already exists: it is DELETED but not purged, and its data "
             "is kept until then. Purge it first with: "
          << request.command_hint(
                 absl::StrCat("purge --tenant=", id, " --ignore_purge_time"))
          << ", or restore under another --tenant\n";
    } else {
      err << "tenantctl: tenant \"" << id
          << "\" already exists; remove it with TenantService.DeleteTenant and "
             "force=true, "
             "or restore under another --tenant\n";
    }
    return EXIT_FAILURE;
  }
  if (!absl::IsNotFound(existing.status())) {
    err << "tenantctl: " << existing.status().message() << "\n";
    return EXIT_FAILURE;
  }

  absl::StatusOr<storage::RestoredDatabase> restored =
      storage::RestoreTenantDatabaseFile(request.input_path, request.data_dir,
                                         id);
  if (!restored.ok()) {
    err << "tenantctl: restore of tenant \"" << id
        << "\" failed: " << restored.status().message() << "\n";
    return EXIT_FAILURE;
  }
  storage::TenantRecord tenant;
  tenant.id = id;
  tenant.display_name =
      request.display_name.empty() ? id : request.display_name;
  tenant.state = storage::TenantState::kActive;
  absl::StatusOr<storage::TenantRecord> created = store.CreateTenant(tenant);
  if (!created.ok()) {
    // Without its row the file is unreachable, and it would block a later
    // restore or create of this id.
    absl::Status removed =
        storage::RemoveTenantDatabaseFiles(request.data_dir, id);
    err << "tenantctl: failed to register tenant \"" << id
        << "\": " << created.status().message();
    if (!removed.ok()) {
      err << ". The restored file is still in place: " << removed.message();
    } else {
      err << ". The restored file was removed again";
    }
    err << "\n";
    return EXIT_FAILURE;
  }
  out << "restored tenant " << id << " from " << request.input_path << "\n"
      << "schema_version: " << restored->version_in_file << " -> "
      << restored->version_after;
  if (!restored->applied.empty()) {
    out << " (applied " << absl::StrJoin(restored->applied, ", ") << ")";
  }
  out << "\n";
  return EXIT_SUCCESS;
}

}  // namespace tenantry::tools
