#ifndef TENANTRY_STORAGE_DOCUMENT_STORE_H_
#define TENANTRY_STORAGE_DOCUMENT_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.h"
#include "storage/shared_store.h"
#include "storage/tenant_database.h"

namespace tenantry::storage {

// Documents in one tenant database. Cheap to construct per call;
// thread-safe because TenantDatabase serializes access.
class DocumentStore {
 public:
  explicit DocumentStore(TenantDatabase* database) : database_(database) {}

  // Inserts `document` with a new id, revision 1, `size_bytes` set from the
  // content and both times set to now. Returns NOT_FOUND if the owner
  // profile does not exist.
  absl::StatusOr<DocumentRecord> Create(const DocumentRecord& document);

  // Returns NOT_FOUND if there is no such document. Without
  // `with_content`, `content` is left empty.
  absl::StatusOr<DocumentRecord> Get(absl::string_view id, bool with_content);

  // Returns documents ordered by id, only those of `owner_profile_id` if
  // it is set.
  absl::StatusOr<Page<DocumentRecord>> List(
      const std::optional<std::string>& owner_profile_id,
      const PageRequest& page, bool with_content);

  // Applies `mutation` to the stored document, content included, and
  // writes it back in one transaction. Returns NOT_FOUND for a missing
  // document or owner, or the mutation's error.
  absl::StatusOr<DocumentRecord> Update(
      absl::string_view id, const Mutation<DocumentRecord>& mutation);

  // Returns NOT_FOUND, or ABORTED if `expected_revision` is set and
  // differs.
  absl::Status Delete(absl::string_view id,
                      std::optional<int64_t> expected_revision);

 private:
  TenantDatabase* database_;
};

}  // namespace tenantry::storage

#endif  // TENANTRY_STORAGE_DOCUMENT_STORE_H_
