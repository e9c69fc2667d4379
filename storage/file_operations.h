#ifndef TENANTRY_STORAGE_FILE_OPERATIONS_H_
#define TENANTRY_STORAGE_FILE_OPERATIONS_H_

// POSIX file calls that the tenant database files need, with errors that
// name the file.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tenantry::storage {

// Returns INTERNAL describing the failure in `errno`, for example "failed
// to remove PATH: No such file or directory". Call it right after the
// failed call.
absl::Status ErrnoError(absl::string_view action, absl::string_view path);

// Removes the file at `path`; a missing file is not an error.
absl::Status RemoveIfPresent(const std::string& path);

// Flushes the file at `path` to disk.
absl::Status SyncFile(const std::string& path);

// Makes a rename, link or unlink inside `directory` durable.
absl::Status SyncDirectory(const std::string& directory);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_FILE_OPERATIONS_H_
