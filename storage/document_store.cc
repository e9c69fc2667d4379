#include "storage/document_store.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/ids.h"
#include "storage/status_macros.h"

namespace tenantry::storage {
namespace {

// The column order of ReadDocument and BindDocument. Reads without content
// select an empty blob in its place.
constexpr char kColumnsWithContent[] =
    "id, title, content, content_type, owner_profile_id, size_bytes, "
    "create_time, update_time, revision";
constexpr char kColumnsWithoutContent[] =
    "id, title, x'', content_type, owner_profile_id, size_bytes, "
    "create_time, update_time, revision";
constexpr int kDocumentColumnCount = 9;

DocumentRecord ReadDocument(const SqliteStatement& row) {
  DocumentRecord document;
  document.id = row.ColumnText(0);
  document.title = row.ColumnText(1);
  document.content = row.ColumnBlob(2);
  document.content_type = row.ColumnText(3);
  document.owner_profile_id = row.ColumnOptionalText(4);
  document.size_bytes = row.ColumnInt(5);
  document.create_time = absl::FromUnixMicros(row.ColumnInt(6));
  document.update_time = absl::FromUnixMicros(row.ColumnInt(7));
  document.revision = row.ColumnInt(8);
  return document;
}

void BindDocument(SqliteStatement& statement, const DocumentRecord& document) {
  statement.BindAll(
      document.id, document.title, Blob{document.content},
      document.content_type, document.owner_profile_id, document.size_bytes,
      absl::ToUnixMicros(document.create_time),
      absl::ToUnixMicros(document.update_time), document.revision);
}

absl::StatusOr<DocumentRecord> GetDocumentLocked(SqliteConnection& connection,
                                                 absl::string_view id,
                                                 bool with_content) {
  TENANTRY_ASSIGN_OR_RETURN(
      SqliteStatement * statement,
      connection.Prepare(absl::StrCat(
          "SELECT ",
          with_content ? kColumnsWithContent : kColumnsWithoutContent,
          " FROM documents WHERE id = ?")));
  StatementLease query(statement);
  query->BindAll(id);
  TENANTRY_ASSIGN_OR_RETURN(const bool found, query->Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("document \"", id, "\" not found"));
  }
  return ReadDocument(*statement);
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

}  // namespace

absl::StatusOr<DocumentRecord> DocumentStore::Create(
    const DocumentRecord& document) {
  DocumentRecord created = document;
  created.id = NewResourceId();
  created.size_bytes = static_cast<int64_t>(created.content.size());
  created.create_time = created.update_time = CurrentTime();
  created.revision = 1;
  return database_->Write(
      [&](SqliteConnection& connection) -> absl::StatusOr<DocumentRecord> {
        TENANTRY_RETURN_IF_ERROR(
            connection.InTransaction([&]() -> absl::Status {
              TENANTRY_RETURN_IF_ERROR(
                  CheckOwnerExists(connection, created.owner_profile_id));
              TENANTRY_ASSIGN_OR_RETURN(
                  SqliteStatement * statement,
                  connection.Prepare(absl::StrCat(
                      "INSERT INTO documents (", kColumnsWithContent,
                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")));
              StatementLease insert(statement);
              BindDocument(*statement, created);
              return insert->Execute().status();
            }));
        return created;
      });
}

absl::StatusOr<DocumentRecord> DocumentStore::Get(absl::string_view id,
                                                  bool with_content) {
  return database_->Read([&](SqliteConnection& connection) {
    return GetDocumentLocked(connection, id, with_content);
  });
}

absl::StatusOr<Page<DocumentRecord>> DocumentStore::List(
    const std::optional<std::string>& owner_profile_id, const PageRequest& page,
    bool with_content) {
  const std::string sql = absl::StrCat(
      "SELECT ", with_content ? kColumnsWithContent : kColumnsWithoutContent,
      " FROM documents WHERE id > ?",
      owner_profile_id.has_value() ? " AND owner_profile_id = ?" : "",
      " ORDER BY id LIMIT ?");
  return database_->Read([&](SqliteConnection& connection)
                             -> absl::StatusOr<Page<DocumentRecord>> {
    TENANTRY_ASSIGN_OR_RETURN(SqliteStatement * statement,
                              connection.Prepare(sql));
    StatementLease query(statement);
    if (owner_profile_id.has_value()) {
      query->BindAll(page.after_id, *owner_profile_id, int64_t{page.limit} + 1);
    } else {
      query->BindAll(page.after_id, int64_t{page.limit} + 1);
    }
    return CollectPage<DocumentRecord>(query, page.limit, &ReadDocument);
  });
}

absl::StatusOr<DocumentRecord> DocumentStore::Update(
    absl::string_view id, const Mutation<DocumentRecord>& mutation) {
  return database_->Write(
      [&](SqliteConnection& connection) -> absl::StatusOr<DocumentRecord> {
        DocumentRecord updated;
        TENANTRY_RETURN_IF_ERROR(
            connection.InTransaction([&]() -> absl::Status {
              TENANTRY_ASSIGN_OR_RETURN(
                  updated, GetDocumentLocked(connection, id,
                                             /*with_content=*/true));
              const DocumentRecord original = updated;
              TENANTRY_RETURN_IF_ERROR(mutation(updated));
              updated.id = original.id;
              updated.create_time = original.create_time;
              updated.size_bytes = static_cast<int64_t>(updated.content.size());
              updated.update_time = CurrentTime();
              updated.revision = original.revision + 1;
              if (updated.owner_profile_id != original.owner_profile_id) {
                TENANTRY_RETURN_IF_ERROR(
                    CheckOwnerExists(connection, updated.owner_profile_id));
              }
              TENANTRY_ASSIGN_OR_RETURN(
                  SqliteStatement * statement,
                  connection.Prepare(absl::StrCat(
                      "UPDATE documents SET (", kColumnsWithContent,
                      ") = (?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?")));
              StatementLease update(statement);
              BindDocument(*statement, updated);
              statement->Bind(kDocumentColumnCount + 1, id);
              return update->Execute().status();
            }));
        return updated;
      });
}

absl::Status DocumentStore::Delete(absl::string_view id,
                                   std::optional<int64_t> expected_revision) {
  return database_->Write([&](SqliteConnection& connection) {
    return connection.InTransaction([&]() -> absl::Status {
      TENANTRY_ASSIGN_OR_RETURN(
          const DocumentRecord document,
          GetDocumentLocked(connection, id, /*with_content=*/false));
      if (expected_revision.has_value() &&
          *expected_revision != document.revision) {
        return absl::AbortedError(absl::StrCat(
            "document \"", id,
            "\" changed since the etag was read; get it again and retry"));
      }
      TENANTRY_ASSIGN_OR_RETURN(
          SqliteStatement * statement,
          connection.Prepare("DELETE FROM documents WHERE id = ?"));
      StatementLease remove(statement);
      remove->BindAll(id);
      return remove->Execute().status();
    });
  });
}

}  // namespace tenantry::storage
