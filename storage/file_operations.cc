#include "storage/file_operations.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace tenantry::storage {

absl::Status ErrnoError(absl::string_view action, absl::string_view path) {
  const int error_number = errno;
  return absl::InternalError(absl::StrCat("failed to ", action, " ", path, ": ",
                                          strerror(error_number)));
}

absl::Status RemoveIfPresent(const std::string& path) {
  if (unlink(path.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  return ErrnoError("remove", path);
}

absl::Status SyncFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return ErrnoError("open", path);
  const int result = fsync(fd);
  close(fd);
  if (result != 0) return ErrnoError("sync", path);
  return absl::OkStatus();
}

absl::Status SyncDirectory(const std::string& directory) {
  const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return ErrnoError("open directory", directory);
  const int result = fsync(fd);
  close(fd);
  if (result != 0) return ErrnoError("sync directory", directory);
  return absl::OkStatus();
}

}  // namespace tenantry::storage
