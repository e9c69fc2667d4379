#include "storage/document_store.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/quoting.h"
#include "storage/status_macros.h"
#include "storage/tenant_usage.h"

namespace tenantry::storage {
namespace {

// The columns of ReadRow, then the content: the inline content of a row
// whose content_blob_id is NULL and whose size is at most the bound
// parameter, else x''. SQLite reads `content` only when the CASE picks it,
// so a bound of -1 reads no content.
constexpr char kSelectColumns[] =
    "SELECT id, title, content_type, owner_profile_id, size_bytes, "
    "create_time, update_time, revision, sha256, content_blob_id, "
    "CASE WHEN content_blob_id IS NULL AND size_bytes <= ? THEN content "
    "ELSE x'' END FROM documents ";

StoredDocument ReadRow(const SqliteStatement& row) {
  StoredDocument stored;
  DocumentRecord& document = stored.record;
  document.id = row.ColumnText(0);
  document.title = row.ColumnText(1);
  document.content_type = row.ColumnText(2);
  document.owner_profile_id = row.ColumnOptionalText(3);
  document.size_bytes = row.ColumnInt(4);
  document.create_time = absl::FromUnixMicros(row.ColumnInt(5));
  document.update_time = absl::FromUnixMicros(row.ColumnInt(6));
  document.revision = row.ColumnInt(7);
  document.sha256 = row.ColumnText(8);
  stored.content_blob_id = row.ColumnOptionalText(9);
  document.content = row.ColumnBlob(10);
  return stored;
}

// Returns the bound of kSelectColumns' CASE for `read`.
int64_t InlineContentBound(const ContentRead& read) {
  return read.with_content ? read.max_bytes : -1;
}

bool WantsContent(const ContentRead& read, const DocumentRecord& document) {
  return read.with_content && document.size_bytes <= read.max_bytes;
}

// Loads the chunked content of `stored` if `read` requests it, and the
// SHA-256 of a row written before tenant migration 0004, which has none
// stored. Such rows always hold their content inline.
absl::Status CompleteStoredDocument(SqliteConnection& connection,
                                    const ContentRead& read,
                                    StoredDocument& stored) {
  DocumentRecord& document = stored.record;
  if (stored.content_blob_id.has_value() && WantsContent(read, document)) {
    TENANTRY_ASSIGN_OR_RETURN(
        document.content,
        ReadAllChunks(connection, document.id, *stored.content_blob_id,
                      document.size_bytes));
  }
  if (!document.sha256.empty()) return absl::OkStatus();
  if (WantsContent(read, document)) {
    document.sha256 = Sha256Hex(document.content);
    return absl::OkStatus();
  }
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("SELECT content FROM documents WHERE id = ?"));
  StatementLease query(statement);
  query->BindAll(document.id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (found) document.sha256 = Sha256Hex(query->ColumnBlob(0));
  return absl::OkStatus();
}

// Returns NOT_FOUND unless the owner, if any, is an existing profile.
absl::Status CheckOwnerExists(SqliteConnection& connection,
                              const std::optional<std::string>& owner) {
  if (!owner.has_value()) return absl::OkStatus();
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("SELECT 1 FROM profiles WHERE id = ?"));
  StatementLease query(statement);
  query->BindAll(*owner);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("owner profile \"", *owner, "\" not found"));
  }
  return absl::OkStatus();
}

// Returns the document that the first request with `key` created, or
// NOT_FOUND telling the client how to create it again.
absl::StatusOr<DocumentRecord> ReadRepeatedCreate(
    SqliteConnection& connection, const RequestKey& key,
    absl::string_view document_id) {
  absl::StatusOr<StoredDocument> stored =
      ReadStoredDocument(connection, document_id, ContentRead{});
  if (stored.ok()) return std::move(stored)->record;
  if (!absl::IsNotFound(stored.status())) return stored.status();
  return absl::NotFoundError(absl::StrCat(
      "document \"", document_id, "\", which request_id ",
      QuoteForMessage(key.request_id),
      " created, has been deleted since; send a new request_id to create it "
      "again"));
}

// Writes the stored content of the document `id`: `content` in the row,
// or its chunks under a new blob. A replaced blob's chunks go by the
// trigger documents_replace_chunks.
absl::Status WriteContent(SqliteConnection& connection, absl::string_view id,
                          absl::string_view content,
                          const DocumentContentOptions& options) {
  std::optional<std::string> blob_id;
  absl::string_view inline_content = content;
  if (static_cast<int64_t>(content.size()) > options.inline_max_bytes) {
    blob_id = NewResourceId();
    inline_content = "";
    TENANTRY_RETURN_IF_ERROR(
        InsertChunks(connection, *blob_id, content, options.chunk_bytes));
  }
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("UPDATE documents SET content = ?, content_blob_id = "
                         "? WHERE id = ?"));
  StatementLease update(statement);
  update->BindAll(Blob{inline_content}, blob_id, id);
  return update->Execute().status();
}

}  // namespace

absl::StatusOr<StoredDocument> ReadStoredDocument(SqliteConnection& connection,
                                                  absl::string_view id,
                                                  const ContentRead& read) {
  StoredDocument stored;
  {
    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection.Prepare(absl::StrCat(kSelectColumns, "WHERE id = ?")));
    StatementLease query(statement);
    query->BindAll(InlineContentBound(read), id);
    TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
    if (!found) {
      return absl::NotFoundError(
          absl::StrCat("document \"", id, "\" not found"));
    }
    stored = ReadRow(*statement);
  }
  TENANTRY_RETURN_IF_ERROR(CompleteStoredDocument(connection, read, stored));
  return stored;
}

absl::StatusOr<DocumentRecord> InsertDocument(
    SqliteConnection& connection, const DocumentRecord& document,
    const std::optional<std::string>& content_blob_id,
    const CreateOptions& options) {
  DocumentRecord result;
  TENANTRY_RETURN_IF_ERROR(connection.InTransaction([&]() -> absl::Status {
    // TenantDatabase::Write() runs one body at a time, so nothing can
    // insert between these checks and the insert below.
    if (options.request_key.has_value()) {
      TENANTRY_ASSIGN_OR_RETURN(const std::optional<std::string> earlier,
                                FindRequest(connection, *options.request_key));
      if (earlier.has_value()) {
        if (content_blob_id.has_value()) {
          TENANTRY_RETURN_IF_ERROR(DeleteUpload(connection, *content_blob_id));
        }
        TENANTRY_ASSIGN_OR_RETURN(
            result,
            ReadRepeatedCreate(connection, *options.request_key, *earlier));
        return absl::OkStatus();
      }
    }
    UsageDelta delta;
    delta.documents = 1;
    delta.document_bytes = document.size_bytes;
    TENANTRY_RETURN_IF_ERROR(CheckQuota(connection, options.quota, delta));
    TENANTRY_RETURN_IF_ERROR(
        CheckOwnerExists(connection, document.owner_profile_id));

    TENANTRY_ASSIGN_OR_RETURN(
        SqliteStatement * statement,
        connection.Prepare(
            "INSERT INTO documents (id, title, content, content_type, "
            "owner_profile_id, size_bytes, create_time, update_time, "
            "revision, sha256, content_blob_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    StatementLease insert(statement);
    const absl::string_view inline_content =
        content_blob_id.has_value() ? absl::string_view()
                                    : absl::string_view(document.content);
    insert->BindAll(document.id, document.title, Blob{inline_content},
                    document.content_type, document.owner_profile_id,
                    document.size_bytes,
                    absl::ToUnixMicros(document.create_time),
                    absl::ToUnixMicros(document.update_time), document.revision,
                    document.sha256, content_blob_id);
    TENANTRY_RETURN_IF_ERROR(insert->Execute().status());
    if (content_blob_id.has_value()) {
      TENANTRY_ASSIGN_OR_RETURN(
          SqliteStatement * finished,
          connection.Prepare("DELETE FROM document_uploads WHERE blob_id = ?"));
      StatementLease remove(finished);
      remove->BindAll(*content_blob_id);
      TENANTRY_RETURN_IF_ERROR(remove->Execute().status());
    }
    if (options.request_key.has_value()) {
      TENANTRY_RETURN_IF_ERROR(
          RecordRequest(connection, *options.request_key, document.id));
    }
    result = document;
    result.content.clear();
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<DocumentRecord> DocumentStore::Create(
    const DocumentRecord& document, const CreateOptions& options) {
  DocumentRecord created = document;
  created.id = NewResourceId();
  created.size_bytes = static_cast<int64_t>(created.content.size());
  created.sha256 = Sha256Hex(created.content);
  created.create_time = created.update_time = CurrentTime();
  created.revision = 1;
  const bool chunked = created.size_bytes > content_options_.inline_max_bytes;
  return database_->Write([&](SqliteConnection& connection)
                              -> absl::StatusOr<DocumentRecord> {
    DocumentRecord result;
    TENANTRY_RETURN_IF_ERROR(connection.InTransaction([&]() -> absl::Status {
      // The row goes in first, so that a repeated request key
      // returns before any chunk is written.
      std::optional<std::string> blob_id;
      if (chunked) blob_id = NewResourceId();
      TENANTRY_ASSIGN_OR_RETURN(
          result, InsertDocument(connection, created, blob_id, options));
      if (!blob_id.has_value() || result.id != created.id) {
        return absl::OkStatus();
      }
      return InsertChunks(connection, *blob_id, created.content,
                          content_options_.chunk_bytes);
    }));
    return result;
  });
}

absl::StatusOr<DocumentRecord> DocumentStore::Get(absl::string_view id,
                                                  const ContentRead& read) {
  return database_->Read(
      [&](SqliteConnection& connection) -> absl::StatusOr<DocumentRecord> {
        TENANTRY_ASSIGN_OR_RETURN(StoredDocument stored,
                                  ReadStoredDocument(connection, id, read));
        return std::move(stored.record);
      });
}

absl::StatusOr<Page<DocumentRecord>> DocumentStore::List(
    const std::optional<std::string>& owner_profile_id, const PageRequest& page,
    const ContentRead& read) {
  const std::string sql = absl::StrCat(
      kSelectColumns, "WHERE id > ?",
      owner_profile_id.has_value() ? " AND owner_profile_id = ?" : "",
      " ORDER BY id LIMIT ?");
  return database_->Read([&](SqliteConnection& connection)
                             -> absl::StatusOr<Page<DocumentRecord>> {
    // Every row is read before any chunk, because reading chunks runs other
    // statements on this connection, which must not interleave with this
    // one's steps.
    std::vector<StoredDocument> rows;
    // Whether the rows stopped early, at inline content past the page's
    // bytes.
    bool rows_stopped = false;
    {
      TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                                connection.Prepare(sql));
      StatementLease query(statement);
      if (owner_profile_id.has_value()) {
        query->BindAll(InlineContentBound(read), page.after_id,
                       *owner_profile_id, int64_t{page.limit} + 1);
      } else {
        query->BindAll(InlineContentBound(read), page.after_id,
                       int64_t{page.limit} + 1);
      }
      int64_t inline_bytes = 0;
      while (true) {
        TENANTRY_ASSIGN_OR_RETURN(const bool has_row, query->Step());
        if (!has_row) break;
        rows.push_back(ReadRow(*query));
        // Only a bound on memory: the page cut below decides.
        inline_bytes += static_cast<int64_t>(rows.back().record.content.size());
        if (inline_bytes > read.max_page_bytes) {
          rows_stopped = true;
          break;
        }
      }
    }

    Page<DocumentRecord> result;
    int64_t page_bytes = 0;
    for (StoredDocument& stored : rows) {
      if (static_cast<int>(result.items.size()) == page.limit) {
        result.has_more = true;
        break;
      }
      if (WantsContent(read, stored.record)) {
        page_bytes += stored.record.size_bytes;
        if (!result.items.empty() && page_bytes > read.max_page_bytes) {
          result.has_more = true;
          break;
        }
      }
      TENANTRY_RETURN_IF_ERROR(
          CompleteStoredDocument(connection, read, stored));
      result.items.push_back(std::move(stored.record));
    }
    if (rows_stopped) result.has_more = true;
    return result;
  });
}

absl::StatusOr<DocumentRecord> DocumentStore::Update(
    absl::string_view id, const Mutation<DocumentRecord>& mutation,
    const std::optional<std::string>& new_content, const TenantQuota& quota) {
  return database_->Write([&](SqliteConnection& connection)
                              -> absl::StatusOr<DocumentRecord> {
    DocumentRecord updated;
    TENANTRY_RETURN_IF_ERROR(connection.InTransaction([&]() -> absl::Status {
      TENANTRY_ASSIGN_OR_RETURN(
          StoredDocument stored,
          ReadStoredDocument(connection, id, ContentRead{}));
      updated = std::move(stored.record);
      const DocumentRecord original = updated;
      TENANTRY_RETURN_IF_ERROR(mutation(updated));
      updated.id = original.id;
      updated.create_time = original.create_time;
      updated.size_bytes = original.size_bytes;
      updated.sha256 = original.sha256;
      if (new_content.has_value()) {
        updated.size_bytes = static_cast<int64_t>(new_content->size());
        updated.sha256 = Sha256Hex(*new_content);
        // Only growth counts against the limit, so content can always be
        // made smaller.
        UsageDelta delta;
        delta.document_bytes = updated.size_bytes - original.size_bytes;
        TENANTRY_RETURN_IF_ERROR(CheckQuota(connection, quota, delta));
      }
      updated.content.clear();
      updated.update_time = CurrentTime();
      updated.revision = original.revision + 1;
      if (updated.owner_profile_id != original.owner_profile_id) {
        TENANTRY_RETURN_IF_ERROR(
            CheckOwnerExists(connection, updated.owner_profile_id));
      }
      // Also stores the SHA-256 of a row written before tenant
      // migration 0004, which the read computed.
      TENANTRY_ASSIGN_OR_RETURN(
          SqliteStatement * statement,
          connection.Prepare(
              "UPDATE documents SET title = ?, content_type = ?, "
              "owner_profile_id = ?, size_bytes = ?, sha256 = ?, "
              "update_time = ?, revision = ? WHERE id = ?"));
      {
        StatementLease update(statement);
        update->BindAll(updated.title, updated.content_type,
                        updated.owner_profile_id, updated.size_bytes,
                        updated.sha256, absl::ToUnixMicros(updated.update_time),
                        updated.revision, id);
        TENANTRY_RETURN_IF_ERROR(update->Execute().status());
      }
      if (!new_content.has_value()) return absl::OkStatus();
      return WriteContent(connection, id, *new_content, content_options_);
    }));
    return updated;
  });
}

absl::Status DocumentStore::Delete(absl::string_view id,
                                   std::optional<int64_t> expected_revision) {
  return database_->Write([&](SqliteConnection& connection) {
    return connection.InTransaction([&]() -> absl::Status {
      TENANTRY_ASSIGN_OR_RETURN(
          SqliteStatement * statement,
          connection.Prepare("SELECT revision FROM documents WHERE id = ?"));
      int64_t revision = 0;
      {
        StatementLease query(statement);
        query->BindAll(id);
        TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
        if (!found) {
          return absl::NotFoundError(
              absl::StrCat("document \"", id, "\" not found"));
        }
        revision = query->ColumnInt(0);
      }
      if (expected_revision.has_value() && *expected_revision != revision) {
        return absl::AbortedError(absl::StrCat(
            "document \"", id,
            "\" changed since the etag was read; get it again and retry"));
      }
      // The trigger documents_delete_chunks deletes the content's chunks
      // in this statement.
      TENANTRY_ASSIGN_OR_RETURN(
          SqliteStatement * remove_statement,
          connection.Prepare("DELETE FROM documents WHERE id = ?"));
      StatementLease remove(remove_statement);
      remove->BindAll(id);
      return remove->Execute().status();
    });
  });
}

}  // namespace tenantry::storage
