#include "storage/document_content.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::storage {

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  // Both fail only when OpenSSL cannot allocate a few hundred bytes.
  if (context_ == nullptr ||
      EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_); }

void Sha256::Update(absl::string_view data) {
  EVP_DigestUpdate(context_, data.data(), data.size());
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_, digest, &length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string Sha256Hex(absl::string_view data) {
  Sha256 hash;
  hash.Update(data);
  return hash.HexDigest();
}

bool IsLowercaseHexSha256(absl::string_view text) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

const std::string& ServerInstanceId() {
  static const std::string* const id = new std::string(NewResourceId());
  return *id;
}

absl::Status InsertChunk(SqliteConnection& connection,
                         absl::string_view blob_id, int64_t seq,
                         absl::string_view data) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("INSERT INTO document_chunks (blob_id, seq, data) "
                         "VALUES (?, ?, ?)"));
  StatementLease insert(statement);
  insert->BindAll(blob_id, seq, Blob{data});
  return insert->Execute().status();
}

absl::Status InsertChunks(SqliteConnection& connection,
                          absl::string_view blob_id, absl::string_view content,
                          int64_t chunk_bytes) {
  int64_t seq = 0;
  for (size_t offset = 0; offset < content.size(); offset += chunk_bytes) {
    TENANTRY_RETURN_IF_ERROR(InsertChunk(connection, blob_id, seq++,
                                         content.substr(offset, chunk_bytes)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> ReadChunk(
    SqliteConnection& connection, absl::string_view blob_id, int64_t seq) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare(
          "SELECT data FROM document_chunks WHERE blob_id = ? AND seq = ?"));
  StatementLease query(statement);
  query->BindAll(blob_id, seq);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) return std::nullopt;
  return query->ColumnBlob(0);
}

absl::StatusOr<std::string> ReadAllChunks(SqliteConnection& connection,
                                          absl::string_view document_id,
                                          absl::string_view blob_id,
                                          int64_t size_bytes) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("SELECT data FROM document_chunks WHERE blob_id = ? "
                         "ORDER BY seq"));
  StatementLease query(statement);
  query->BindAll(blob_id);
  std::string content;
  content.reserve(static_cast<size_t>(size_bytes));
  while (true) {
    TENANTRY_ASSIGN_OR_RETURN(const bool has_row, query->Step());
    if (!has_row) break;
    content += query->ColumnBlob(0);
    if (static_cast<int64_t>(content.size()) > size_bytes) {
      return absl::DataLossError(absl::StrCat(
          "the chunks of document \"", document_id, "\" hold more than its ",
          size_bytes, " bytes; restore the tenant's database from a backup"));
    }
  }
  if (static_cast<int64_t>(content.size()) < size_bytes) {
    return absl::DataLossError(
        absl::StrCat("the chunks of document \"", document_id, "\" hold only ",
                     content.size(), " of its ", size_bytes,
                     " bytes; restore the tenant's database from a backup"));
  }
  return content;
}

absl::Status RegisterUpload(SqliteConnection& connection,
                            absl::string_view blob_id) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("INSERT INTO document_uploads (blob_id, "
                         "server_instance, create_time) VALUES (?, ?, ?)"));
  StatementLease insert(statement);
  insert->BindAll(blob_id, ServerInstanceId(),
                  absl::ToUnixMicros(CurrentTime()));
  return insert->Execute().status();
}

absl::Status DeleteUpload(SqliteConnection& connection,
                          absl::string_view blob_id) {
  for (const char* sql : {"DELETE FROM document_chunks WHERE blob_id = ?",
                          "DELETE FROM document_uploads WHERE blob_id = ?"}) {
    TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                              connection.Prepare(sql));
    StatementLease remove(statement);
    remove->BindAll(blob_id);
    TENANTRY_RETURN_IF_ERROR(remove->Execute().status());
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::vector<std::string>> FindAbandonedUploads(
    SqliteConnection& connection) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare("SELECT blob_id FROM document_uploads "
                         "WHERE server_instance <> ?"));
  StatementLease query(statement);
  query->BindAll(ServerInstanceId());
  std::vector<std::string> blob_ids;
  while (true) {
    TENANTRY_ASSIGN_OR_RETURN(const bool has_row, query->Step());
    if (!has_row) break;
    blob_ids.push_back(query->ColumnText(0));
  }
  return blob_ids;
}

}  // namespace

absl::StatusOr<int> RemoveAbandonedUploads(TenantDatabase& database) {
  TENANTRY_ASSIGN_OR_RETURN(const std::vector<std::string> found,
                            database.Read(&FindAbandonedUploads));
  if (found.empty()) return 0;
  return database.Write(
      [](SqliteConnection& connection) -> absl::StatusOr<int> {
        int removed = 0;
        TENANTRY_RETURN_IF_ERROR(
            connection.InTransaction([&]() -> absl::Status {
              // Found again inside the write: another call may have removed
              // them since the read.
              TENANTRY_ASSIGN_OR_RETURN(const std::vector<std::string> blob_ids,
                                        FindAbandonedUploads(connection));
              for (const std::string& blob_id : blob_ids) {
                TENANTRY_RETURN_IF_ERROR(DeleteUpload(connection, blob_id));
              }
              removed = static_cast<int>(blob_ids.size());
              return absl::OkStatus();
            }));
        return removed;
      });
}

}  // namespace tenantry::storage
