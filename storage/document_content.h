#ifndef TENANTRY_STORAGE_DOCUMENT_CONTENT_H_
#define TENANTRY_STORAGE_DOCUMENT_CONTENT_H_

// Where a tenant database keeps document content, and its SHA-256.
//
// Content of at most DocumentContentOptions::inline_max_bytes is stored in
// documents.content. Larger content is stored in document_chunks as a blob:
// rows (blob_id, seq, data) whose data, in seq order from 0, is the
// content, and documents.content_blob_id names the blob. Triggers of tenant
// migration 0004 delete a blob's rows with the document that references it.
// An upload writes its chunks before its documents row exists and registers
// the blob in document_uploads until then; see RemoveAbandonedUploads().

#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/sqlite.h"
#include "storage/tenant_database.h"

namespace tenantry::storage {

// The split of document content between the documents row and
// document_chunks.
struct DocumentContentOptions {
  // Content of at most this many bytes stays in the documents row. SQLite
  // reads a row's value whole, so this bounds the memory of reading one
  // inline document, and keeps list scans from walking long chains of
  // overflow pages.
  int64_t inline_max_bytes = 256 << 10;
  // The size of each document_chunks row of a blob but the last. Reading
  // and writing chunked content keeps about one chunk in memory at a time.
  int64_t chunk_bytes = 1 << 20;
};

// Incremental SHA-256 with OpenSSL. Not thread-safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(absl::string_view data);

  // Returns the lowercase hex digest of the bytes passed to Update(). Call
  // it once, after the last Update().
  std::string HexDigest();

 private:
  EVP_MD_CTX* context_;
};

// Returns the lowercase hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Returns whether `text` is 64 lowercase hex digits, the form of the
// SHA-256 values that this module returns.
bool IsLowercaseHexSha256(absl::string_view text);

// Returns a random id of this process, made on the first call. Uploads
// record it in document_uploads, so that a later process can tell the
// uploads of a process that is gone from its own.
const std::string& ServerInstanceId();

// Inserts `data` as chunk `seq` of `blob_id`. Call it inside a
// transaction.
absl::Status InsertChunk(SqliteConnection& connection,
                         absl::string_view blob_id, int64_t seq,
                         absl::string_view data);

// Inserts `content` as the chunks of `blob_id`, `chunk_bytes` each but
// the last.
absl::Status InsertChunks(SqliteConnection& connection,
                          absl::string_view blob_id, absl::string_view content,
                          int64_t chunk_bytes);

// Returns chunk `seq` of `blob_id`, or std::nullopt if there is none.
absl::StatusOr<std::optional<std::string>> ReadChunk(
    SqliteConnection& connection, absl::string_view blob_id, int64_t seq);

// Returns the whole content of `blob_id`, which must be `size_bytes` long.
// Holds all of it in memory: only for content that a unary response
// carries. Returns DATA_LOSS naming `document_id` if the chunks add up to
// another size.
absl::StatusOr<std::string> ReadAllChunks(SqliteConnection& connection,
                                          absl::string_view document_id,
                                          absl::string_view blob_id,
                                          int64_t size_bytes);

// Records in document_uploads that this process writes the chunks of
// `blob_id`.
absl::Status RegisterUpload(SqliteConnection& connection,
                            absl::string_view blob_id);

// Deletes the chunks of `blob_id` and its document_uploads row. Call it
// inside a transaction.
absl::Status DeleteUpload(SqliteConnection& connection,
                          absl::string_view blob_id);

// Deletes the uploads that other processes registered, with their chunks:
// a server that stopped or crashed during an upload left them, and no
// documents row references them. Reads first and writes only if there is
// something to delete. Returns the number of uploads deleted.
// NOTE: a file restored from a backup that this same process took during
// one of its uploads keeps that upload's chunks until a later process
// opens it.
absl::StatusOr<int> RemoveAbandonedUploads(TenantDatabase& database);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_DOCUMENT_CONTENT_H_
