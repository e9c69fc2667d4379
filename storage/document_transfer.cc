#include "storage/document_transfer.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/ids.h"
#include "storage/status_macros.h"
#include "storage/tenant_usage.h"

namespace tenantry::storage {

DocumentUpload::DocumentUpload(TenantDatabase* database,
                               DocumentContentOptions options,
                               TenantQuota quota)
    : database_(database), options_(options), quota_(quota) {}

DocumentUpload::~DocumentUpload() { Discard().IgnoreError(); }

absl::Status DocumentUpload::Append(absl::string_view bytes) {
  hash_.Update(bytes);
  size_bytes_ += static_cast<int64_t>(bytes.size());
  pending_.append(bytes.data(), bytes.size());
  if (!blob_id_.has_value()) {
    if (size_bytes_ <= options_.inline_max_bytes) return absl::OkStatus();
    blob_id_ = NewResourceId();
  }
  return WriteFullChunks();
}

absl::Status DocumentUpload::WriteFullChunks() {
  const size_t chunk_bytes = static_cast<size_t>(options_.chunk_bytes);
  size_t offset = 0;
  while (pending_.size() - offset >= chunk_bytes) {
    const absl::string_view chunk =
        absl::string_view(pending_).substr(offset, chunk_bytes);
    UsageDelta delta;
    delta.documents = 1;
    delta.document_bytes = size_bytes_;
    delta.upload_in_progress = true;
    TENANTRY_RETURN_IF_ERROR(
        database_->Write([&](SqliteConnection& connection) {
          return connection.InTransaction([&]() -> absl::Status {
            TENANTRY_RETURN_IF_ERROR(CheckQuota(connection, quota_, delta));
            if (chunks_written_ == 0) {
              TENANTRY_RETURN_IF_ERROR(RegisterUpload(connection, *blob_id_));
            }
            return InsertChunk(connection, *blob_id_, chunks_written_, chunk);
          });
        }));
    ++chunks_written_;
    offset += chunk_bytes;
  }
  pending_.erase(0, offset);
  return absl::OkStatus();
}

std::string DocumentUpload::FinishContent() {
  sha256_ = hash_.HexDigest();
  return sha256_;
}

absl::StatusOr<DocumentRecord> DocumentUpload::Commit(
    DocumentRecord document, const CreateOptions& options) {
  document.id = NewResourceId();
  document.size_bytes = size_bytes_;
  document.sha256 = sha256_;
  document.create_time = document.update_time = CurrentTime();
  document.revision = 1;
  if (!blob_id_.has_value()) document.content = pending_;
  absl::StatusOr<DocumentRecord> result = database_->Write(
      [&](SqliteConnection& connection) -> absl::StatusOr<DocumentRecord> {
        DocumentRecord inserted;
        TENANTRY_RETURN_IF_ERROR(
            connection.InTransaction([&]() -> absl::Status {
              if (blob_id_.has_value() && !pending_.empty()) {
                if (chunks_written_ == 0) {
                  TENANTRY_RETURN_IF_ERROR(
                      RegisterUpload(connection, *blob_id_));
                }
                TENANTRY_RETURN_IF_ERROR(InsertChunk(
                    connection, *blob_id_, chunks_written_, pending_));
              }
              TENANTRY_ASSIGN_OR_RETURN(
                  inserted,
                  InsertDocument(connection, document, blob_id_, options));
              return absl::OkStatus();
            }));
        return inserted;
      });
  // On success the chunks belong to a document, or to none if the request
  // key was repeated, and InsertDocument deleted them then.
  if (result.ok()) committed_ = true;
  return result;
}

absl::Status DocumentUpload::Discard() {
  if (committed_ || chunks_written_ == 0) return absl::OkStatus();
  TenantDatabase unlimited = database_->WithLimits(CallLimits());
  absl::Status status = unlimited.Write([&](SqliteConnection& connection) {
    return connection.InTransaction(
        [&]() { return DeleteUpload(connection, *blob_id_); });
  });
  if (status.ok()) chunks_written_ = 0;
  return status;
}

absl::StatusOr<std::unique_ptr<DocumentDownload>> DocumentDownload::Open(
    TenantDatabase* database, absl::string_view id) {
  TENANTRY_ASSIGN_OR_RETURN(
      StoredDocument stored,
      database->Read([&](SqliteConnection& connection)
                         -> absl::StatusOr<StoredDocument> {
        TENANTRY_ASSIGN_OR_RETURN(
            StoredDocument row,
            ReadStoredDocument(connection, id, ContentRead{}));
        // Chunks come from Next(); inline content comes with the row,
        // from the same read.
        if (row.content_blob_id.has_value()) return row;
        TENANTRY_ASSIGN_OR_RETURN(
            SqliteStatement * statement,
            connection.Prepare("SELECT content FROM documents WHERE id = ?"));
        StatementLease query(statement);
        query->BindAll(id);
        TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
        if (found) row.record.content = query->ColumnBlob(0);
        return row;
      }));
  return std::unique_ptr<DocumentDownload>(
      new DocumentDownload(database, std::move(stored)));
}

absl::Status DocumentDownload::CheckHash() {
  const std::string actual = hash_.HexDigest();
  if (actual == document_.sha256) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "the stored content of document \"", document_.id, "\" has SHA-256 ",
      actual, " but the document records ", document_.sha256,
      "; restore the tenant's database from a backup"));
}

absl::StatusOr<std::optional<std::string>> DocumentDownload::Next() {
  if (done_) return std::nullopt;
  if (!content_blob_id_.has_value()) {
    // Inline content is one piece, read by Open() with the row.
    done_ = true;
    std::string content = std::move(document_.content);
    document_.content.clear();
    hash_.Update(content);
    TENANTRY_RETURN_IF_ERROR(CheckHash());
    if (content.empty()) return std::nullopt;
    return std::optional<std::string>(std::move(content));
  }
  if (bytes_read_ == document_.size_bytes) {
    done_ = true;
    TENANTRY_RETURN_IF_ERROR(CheckHash());
    return std::nullopt;
  }
  TENANTRY_ASSIGN_OR_RETURN(
      std::optional<std::string> chunk,
      database_->Read([&](SqliteConnection& connection)
                          -> absl::StatusOr<std::optional<std::string>> {
        TENANTRY_ASSIGN_OR_RETURN(
            SqliteStatement * statement,
            connection.Prepare(
                "SELECT content_blob_id FROM documents WHERE id = ?"));
        {
          StatementLease query(statement);
          query->BindAll(document_.id);
          TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
          if (!found) {
            return absl::NotFoundError(absl::StrCat(
                "document \"", document_.id,
                "\" was deleted during the download; the content received "
                "so far is incomplete"));
          }
          if (query->ColumnOptionalText(0) != content_blob_id_) {
            return absl::AbortedError(absl::StrCat(
                "the content of document \"", document_.id,
                "\" was replaced during the download; download it again"));
          }
        }
        return ReadChunk(connection, *content_blob_id_, next_seq_);
      }));
  const int64_t missing = document_.size_bytes - bytes_read_;
  if (!chunk.has_value() || static_cast<int64_t>(chunk->size()) > missing) {
    return absl::DataLossError(absl::StrCat(
        "the chunks of document \"", document_.id, "\" do not add up to its ",
        document_.size_bytes, " bytes at chunk ", next_seq_,
        "; restore the tenant's database from a backup"));
  }
  ++next_seq_;
  bytes_read_ += static_cast<int64_t>(chunk->size());
  hash_.Update(*chunk);
  return chunk;
}

}  // namespace tenantry::storage
