// TenantService.ExportTenant: streams an online copy of a tenant's
// database.

#include <errno.h>
#include <fcntl.h>
#include <glog/logging.h>
#include <string.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/grpc_status.h"
#include "services/request_context.h"
#include "services/resource_names.h"
#include "services/tenant_service.h"
#include "storage/ids.h"
#include "storage/status_macros.h"
#include "storage/tenant_backup.h"
#include "storage/tenant_database.h"
#include "storage/tenant_registry.h"

namespace tenantry::services {
namespace {

// The maximum number of file bytes in one ExportTenantResponse, well below the
// 4 MiB that gRPC clients accept by default.
constexpr size_t kExportChunkBytes = 1 << 20;

// The directory under --data_dir that contains the copies being streamed.
// A copy outlives its call only if the server process dies during the
// export; RemoveExportLeftovers() clears them at the next start.
constexpr char kExportDirectory[] = ".exports";

// Removes the file at `path` when the scope ends, however the call ends.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  ~RemoveOnExit() {
    if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
      LOG(ERROR) << "ExportTenant: failed to remove the copy " << path_ << ": "
                 << strerror(errno);
    }
  }
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;

 private:
  const std::string path_;
};

// Closes a file descriptor when the scope ends.
class CloseOnExit {
 public:
  explicit CloseOnExit(int fd) : fd_(fd) {}
  ~CloseOnExit() { close(fd_); }
  CloseOnExit(const CloseOnExit&) = delete;
  CloseOnExit& operator=(const CloseOnExit&) = delete;

 private:
  const int fd_;
};

absl::Status StreamClosedError(absl::string_view tenant_id) {
  return absl::CancelledError(
      absl::StrCat("the export of tenant \"", tenant_id,
                   "\" stopped because the client closed the stream"));
}

// Sends the file at `path` as the data of ExportTenantResponse messages
// after a first message with `backup`'s version and size, then a last
// message with the SHA-256 of the bytes sent.
absl::Status StreamCopy(
    grpc::ServerContext* context, absl::string_view tenant_id,
    const std::string& path, const storage::BackupInfo& backup,
    grpc::ServerWriter<tenantry::v1::ExportTenantResponse>* writer) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("failed to open the copy of tenant \"", tenant_id,
                     "\" in the data directory: ", strerror(errno)));
  }
  CloseOnExit closer(fd);

  tenantry::v1::ExportTenantResponse first;
  first.set_schema_version(backup.schema_version);
  first.set_size_bytes(backup.size_bytes);
  if (!writer->Write(first)) return StreamClosedError(tenant_id);

  storage::Sha256Hasher hasher;
  std::string buffer(kExportChunkBytes, '\0');
  int64_t sent_bytes = 0;
  while (true) {
    if (context->IsCancelled()) {
      return absl::CancelledError(absl::StrCat("the export of tenant \"",
                                               tenant_id, "\" was cancelled"));
    }
    const ssize_t read_bytes = read(fd, buffer.data(), buffer.size());
    if (read_bytes < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(
          absl::StrCat("failed to read the copy of tenant \"", tenant_id,
                       "\" in the data directory: ", strerror(errno)));
    }
    if (read_bytes == 0) break;
    const absl::string_view data(buffer.data(), read_bytes);
    hasher.Update(data);
    sent_bytes += read_bytes;
    tenantry::v1::ExportTenantResponse chunk;
    chunk.set_data(data.data(), data.size());
    if (!writer->Write(chunk)) return StreamClosedError(tenant_id);
  }
  // Nothing else writes the copy, so the sizes match unless the disk fails.
  if (sent_bytes != backup.size_bytes) {
    return absl::DataLossError(absl::StrCat(
        "the copy of tenant \"", tenant_id, "\" has ", sent_bytes,
        " bytes instead of ", backup.size_bytes, "; export it again"));
  }
  tenantry::v1::ExportTenantResponse last;
  last.set_sha256(hasher.HexDigest());
  if (!writer->Write(last)) return StreamClosedError(tenant_id);
  return absl::OkStatus();
}

}  // namespace

void RemoveExportLeftovers(const std::string& data_dir) {
  std::error_code error;
  std::filesystem::remove_all(absl::StrCat(data_dir, "/", kExportDirectory),
                              error);
  if (error) {
    LOG(WARNING) << "failed to remove the copies that earlier exports left in "
                 << data_dir << "/" << kExportDirectory << ": "
                 << error.message();
  }
}

grpc::Status TenantServiceImpl::ExportTenant(
    grpc::ServerContext* context,
    const tenantry::v1::ExportTenantRequest* request,
    grpc::ServerWriter<tenantry::v1::ExportTenantResponse>* writer) {
  return ServeAuthorizedCall(*contexts_, context, [&]() -> absl::Status {
    TENANTRY_ASSIGN_OR_RETURN(const std::string id,
                              ParseTenantName("name", request->name()));
    TENANTRY_ASSIGN_OR_RETURN(const storage::TenantRecord tenant,
                              tenants_->shared_store()->GetTenant(id));
    // Like every call to a DELETED tenant; `tenantctl backup` still
    // copies its database until the purge.
    if (tenant.delete_time.has_value()) {
      return storage::DeletedTenantError(tenant);
    }

    const std::string& data_dir = tenants_->cache()->options().data_dir;
    const std::string directory = absl::StrCat(data_dir, "/", kExportDirectory);
    TENANTRY_RETURN_IF_ERROR(storage::CreateDirectory(directory));
    // The random part keeps concurrent exports of one tenant apart.
    const std::string copy_path =
        absl::StrCat(directory, "/", id, "-", storage::NewResourceId(), ".db");
    storage::BackupOptions options;
    options.is_cancelled = [context] { return context->IsCancelled(); };
    absl::StatusOr<storage::BackupInfo> backup = storage::BackupDatabaseFile(
        storage::TenantDatabasePath(data_dir, id), copy_path, options);
    if (absl::IsNotFound(backup.status())) {
      // The message leaves out the server's path, like OpenDatabase.
      return absl::InternalError(absl::StrCat(
          "the database file of tenant \"", id,
          "\" is missing from the data directory; restore it from a backup "
          "or delete the tenant"));
    }
    TENANTRY_RETURN_IF_ERROR(backup.status());
    RemoveOnExit remover(copy_path);
    return StreamCopy(context, id, copy_path, *backup, writer);
  });
}

}  // namespace tenantry::services
