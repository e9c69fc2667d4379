#ifndef TENANTRY_STORAGE_DOCUMENT_STORE_H_
#define TENANTRY_STORAGE_DOCUMENT_STORE_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/document_content.h"
#include "storage/profile_store.h"
#include "storage/records.h"
#include "storage/shared_store.h"
#include "storage/tenant_database.h"

namespace tenantry::storage {

// The content that a read of documents returns.
struct ContentRead {
  // Whether to return content at all.
  bool with_content = false;
  // Documents larger than this come without content even if `with_content`
  // is set; the caller tells them apart by `size_bytes`. The default is the
  // server's default --max_document_bytes.
  int64_t max_bytes = (4 << 20) - (64 << 10);
  // List() only: a page ends before the document whose content would take
  // the page's content past this many bytes, unless it is the first.
  int64_t max_page_bytes = std::numeric_limits<int64_t>::max();
};

// Documents in one tenant database. Cheap to construct per call;
// thread-safe because TenantDatabase serializes access.
class DocumentStore {
 public:
  explicit DocumentStore(TenantDatabase* database,
                         DocumentContentOptions content_options = {})
      : database_(database), content_options_(content_options) {}

  // Inserts `document` with a new id, revision 1, `size_bytes` and
  // `sha256` set from the content and both times set to now, and returns it
  // without its content. Content larger than
  // DocumentContentOptions::inline_max_bytes goes to document_chunks in
  // the same transaction. Returns NOT_FOUND if the owner profile does not
  // exist or the document of a repeated request key was deleted since,
  // RESOURCE_EXHAUSTED past `options.quota`, and ALREADY_EXISTS if the
  // request key was used by a different request. A repeated request key
  // returns the document that its first request created and writes
  // nothing.
  absl::StatusOr<DocumentRecord> Create(const DocumentRecord& document,
                                        const CreateOptions& options = {});

  // Returns NOT_FOUND if there is no such document.
  absl::StatusOr<DocumentRecord> Get(absl::string_view id,
                                     const ContentRead& read);
  absl::StatusOr<DocumentRecord> Get(absl::string_view id, bool with_content) {
    return Get(id, ContentRead{with_content});
  }

  // Returns documents ordered by id, only those of `owner_profile_id` if
  // it is set.
  absl::StatusOr<Page<DocumentRecord>> List(
      const std::optional<std::string>& owner_profile_id,
      const PageRequest& page, const ContentRead& read);
  absl::StatusOr<Page<DocumentRecord>> List(
      const std::optional<std::string>& owner_profile_id,
      const PageRequest& page, bool with_content) {
    return List(owner_profile_id, page, ContentRead{with_content});
  }

  // Applies `mutation` to the stored document, which it gets without
  // content, and writes it back in one transaction with a new revision.
  // If `new_content` is set it replaces the content, and `size_bytes` and
  // `sha256` follow it; chunks of the old content are deleted. Returns the
  // document without content, NOT_FOUND for a missing document or owner,
  // RESOURCE_EXHAUSTED if larger content would pass
  // `quota.max_document_bytes`, or the mutation's error.
  absl::StatusOr<DocumentRecord> Update(
      absl::string_view id, const Mutation<DocumentRecord>& mutation,
      const std::optional<std::string>& new_content = std::nullopt,
      const TenantQuota& quota = {});

  // Deletes the document and the chunks of its content. Returns NOT_FOUND,
  // or ABORTED if `expected_revision` is set and differs.
  absl::Status Delete(absl::string_view id,
                      std::optional<int64_t> expected_revision);

 private:
  TenantDatabase* database_;
  DocumentContentOptions content_options_;
};

// The building blocks of DocumentStore that storage/document_transfer.cc
// shares. Each runs on a connection that the caller got from
// TenantDatabase::Read() or Write().

// A documents row as stored.
struct StoredDocument {
  // Its content as `read` asked, and `sha256` always set.
  DocumentRecord record;
  // The blob of chunked content; std::nullopt for content in the row.
  std::optional<std::string> content_blob_id;
};

// Reads the document `id`. Returns NOT_FOUND if there is none.
absl::StatusOr<StoredDocument> ReadStoredDocument(SqliteConnection& connection,
                                                  absl::string_view id,
                                                  const ContentRead& read);

// Inserts `document`, whose `size_bytes` and `sha256` the caller set,
// with the checks of DocumentStore::Create(), inside a transaction of its
// own or a savepoint. The content is `document.content` when
// `content_blob_id` is std::nullopt, else the chunks of that blob, which
// then stops being an upload. Returns the document without content: the
// new one, or the one that a repeated request key created.
absl::StatusOr<DocumentRecord> InsertDocument(
    SqliteConnection& connection, const DocumentRecord& document,
    const std::optional<std::string>& content_blob_id,
    const CreateOptions& options);

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_DOCUMENT_STORE_H_
