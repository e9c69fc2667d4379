#ifndef TENANTRY_STORAGE_TENANT_BACKUP_H_
#define TENANTRY_STORAGE_TENANT_BACKUP_H_

// Online copies of tenant databases, and the checks that put such a copy
// back in place as a tenant's database.

#include <openssl/evp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tenantry::storage {

struct BackupOptions {
  // Pages that one sqlite3_backup_step() call copies. Between two steps
  // the copy checks `is_cancelled`.
  int pages_per_step = 256;
  // Whether a file at the target path is replaced. If false, the copy
  // fails with ALREADY_EXISTS and leaves that file alone.
  bool replace_existing = false;
  // Returns true once the caller has given up, for example because a gRPC
  // call was cancelled. Empty means never.
  std::function<bool()> is_cancelled;
};

struct BackupInfo {
  // The highest migration version recorded in the copy.
  int64_t schema_version = 0;
  // The length of the copy in bytes.
  int64_t size_bytes = 0;
  // The number of database pages copied.
  int64_t page_count = 0;
  // The number of sqlite3_backup_step() calls. SQLite starts a copy over
  // when another connection commits during it, so a copy that never
  // started over took ceil(page_count / pages_per_step) steps.
  int64_t steps = 0;
};

// Copies the SQLite database at `source_path` to a new file at
// `target_path` with SQLite's online backup API, while other connections
// and processes go on writing to the source. The copy is the snapshot of
// one read transaction in WAL mode, opened when the copy starts, so it
// contains every commit from before that moment and none from after, and it
// never starts over. Writers are not blocked, because a WAL reader blocks
// no writer, but the source's WAL cannot be checkpointed past the
// snapshot until the copy ends.
//
// The copy is written to a temporary file in the target's directory,
// synced, and only then given the name `target_path` (by rename(), or by
// link() when an existing file must be kept), so that name never contains
// a partial file. On failure the temporary file is removed. Returns
// NOT_FOUND if the source does not exist, ALREADY_EXISTS if the target
// exists and `replace_existing` is false, CANCELLED if `is_cancelled`
// returned true, and INTERNAL naming the file for I/O errors.
absl::StatusOr<BackupInfo> BackupDatabaseFile(
    const std::string& source_path, const std::string& target_path,
    const BackupOptions& options = {});

// Incremental SHA-256 through OpenSSL's EVP interface.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(absl::string_view data);
  // Returns the lowercase hex digest of everything passed to Update().
  // Call it once.
  std::string HexDigest();

 private:
  EVP_MD_CTX* context_;
};

// Returns the lowercase hex SHA-256 of the file at `path`, read in pieces
// of 1 MiB.
absl::StatusOr<std::string> FileSha256(const std::string& path);

struct RestoredDatabase {
  // The tenant schema version of the input file.
  int64_t version_in_file = 0;
  // The version after the pending tenant migrations were applied.
  int64_t version_after = 0;
  // Names of the migrations applied to the copy, in order.
  std::vector<std::string> applied;
};

// Copies the tenant database at `input_path`, typically made by
// BackupDatabaseFile, into place as the database of `tenant_id` in
// `data_dir`, without registering the tenant. The copy must be a SQLite
// database that passes PRAGMA integrity_check and records tenant
// migrations. A copy at an older version is migrated to the latest one,
// in one transaction. The copy is built under a temporary name in the
// tenants directory and linked into place only once it is complete, so
// that the tenant's path never contains a partial file. On failure nothing
// is left in `data_dir`, and the input file is never changed.
//
// Returns INVALID_ARGUMENT for a malformed id or an input that is not a
// tenant database, and NOT_FOUND if the input is missing. Returns
// FAILED_PRECONDITION, naming the cause, if the input is newer than the
// tenant migrations of this binary, fails the integrity check or has a
// -wal file beside it, or if the tenant already has a database file.
absl::StatusOr<RestoredDatabase> RestoreTenantDatabaseFile(
    const std::string& input_path, absl::string_view data_dir,
    absl::string_view tenant_id);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_TENANT_BACKUP_H_
