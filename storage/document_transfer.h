#ifndef TENANTRY_STORAGE_DOCUMENT_TRANSFER_H_
#define TENANTRY_STORAGE_DOCUMENT_TRANSFER_H_

// Streaming writes and reads of one document's content, for documents of
// any size. Each keeps about one chunk (DocumentContentOptions::chunk_bytes)
// in memory, or the inline content of a small document.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/document_content.h"
#include "storage/document_store.h"
#include "storage/profile_store.h"
#include "storage/records.h"
#include "storage/tenant_database.h"

namespace tenantry::storage {

// The content of one upload as it arrives. Once the content passes
// DocumentContentOptions::inline_max_bytes, each full chunk is written in a
// TenantDatabase::Write() of its own, so other writes to the tenant wait
// for one chunk at a time instead of the whole upload. Until Commit() the
// chunks belong to an upload registered in document_uploads; Discard(),
// the destructor or, after a crash, RemoveAbandonedUploads() deletes them.
// Not thread-safe.
class DocumentUpload {
 public:
  // `database` applies the call's limits to the writes and must outlive
  // the upload. `quota` is checked with every chunk against the content
  // so far, so that an upload over the tenant's limit fails early.
  DocumentUpload(TenantDatabase* database, DocumentContentOptions options,
                 TenantQuota quota);

  // Discards what was written unless Commit() succeeded.
  ~DocumentUpload();

  DocumentUpload(const DocumentUpload&) = delete;
  DocumentUpload& operator=(const DocumentUpload&) = delete;

  // Hashes `bytes`, adds them to the content and writes the chunks that
  // are full. Returns the write's error, such as RESOURCE_EXHAUSTED from
  // the quota or CANCELLED at the call's limits.
  absl::Status Append(absl::string_view bytes);

  // The number of bytes appended so far.
  int64_t size_bytes() const { return size_bytes_; }

  // Returns the lowercase hex SHA-256 of the content. Call it once, after
  // the last Append().
  std::string FinishContent();

  // Inserts `document` with this content, as DocumentStore::Create() does,
  // in one Write() that also writes the last chunk. Sets the document's
  // `size_bytes` and `sha256`; FinishContent() must have run. Returns the
  // document without content; for a repeated request key, the document of
  // the first request, and this upload's chunks are deleted.
  absl::StatusOr<DocumentRecord> Commit(DocumentRecord document,
                                        const CreateOptions& options);

  // Deletes the chunks written so far, through a handle of the database
  // without the call's limits, so that it works after a cancellation.
  // Returns the error of the delete; RemoveAbandonedUploads() in a later
  // server process deletes what a failed delete left.
  absl::Status Discard();

 private:
  // Writes the full chunks at the front of `pending_`.
  absl::Status WriteFullChunks();

  TenantDatabase* const database_;
  const DocumentContentOptions options_;
  const TenantQuota quota_;
  Sha256 hash_;
  std::string sha256_;
  int64_t size_bytes_ = 0;
  // Content not written yet: all of it while it may still stay inline.
  std::string pending_;
  // Set once the content is too large to stay inline.
  std::optional<std::string> blob_id_;
  // The number of chunks written, which is the seq of the next one.
  int64_t chunks_written_ = 0;
  bool committed_ = false;
};

// One document's content, read in pieces for a download. The row is read
// first, then each chunk in a TenantDatabase::Read() of its own. Each read
// checks that the document still has the same content. So a download keeps
// no read transaction open between pieces and never mixes two versions of
// the content. Not thread-safe.
class DocumentDownload {
 public:
  // Reads the document without its content. Returns NOT_FOUND if there is
  // no such document. `database` must outlive the download.
  static absl::StatusOr<std::unique_ptr<DocumentDownload>> Open(
      TenantDatabase* database, absl::string_view id);

  // The document without content, with `size_bytes` and `sha256`.
  const DocumentRecord& document() const { return document_; }

  // Returns the next piece of the content: a chunk, or the whole content of
  // a document stored inline, and std::nullopt after the last piece.
  // Returns NOT_FOUND if the document was deleted since Open(), ABORTED if
  // its content was replaced, and DATA_LOSS if the stored content does not
  // match the document's size or SHA-256.
  absl::StatusOr<std::optional<std::string>> Next();

 private:
  DocumentDownload(TenantDatabase* database, StoredDocument stored)
      : database_(database),
        document_(std::move(stored.record)),
        content_blob_id_(std::move(stored.content_blob_id)) {}

  // Returns DATA_LOSS unless the content read matches `document_.sha256`.
  absl::Status CheckHash();

  TenantDatabase* const database_;
  DocumentRecord document_;
  const std::optional<std::string> content_blob_id_;
  Sha256 hash_;
  int64_t bytes_read_ = 0;
  int64_t next_seq_ = 0;
  bool done_ = false;
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_DOCUMENT_TRANSFER_H_
