#ifndef TENANTRY_SERVICES_DOCUMENT_FIELDS_H_
#define TENANTRY_SERVICES_DOCUMENT_FIELDS_H_

// The document fields that the unary and the streaming methods of
// DocumentService share: their validation and their conversion.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.h"
#include "tenantry/v1/document.pb.h"

namespace tenantry::services {

// The content type of a document created without one.
inline constexpr absl::string_view kDefaultContentType =
    "application/octet-stream";

// Checks the fields of `document` for which `selected` returns true;
// `content` may be at most `max_content_bytes` long. Returns the owner's
// profile id if `owner` is selected and set, or INVALID_ARGUMENT listing
// every invalid field.
absl::StatusOr<std::optional<std::string>> ValidateDocumentFields(
    const tenantry::v1::Document& document,
    const std::function<bool(absl::string_view)>& selected,
    absl::string_view tenant_id, int64_t max_content_bytes);

// Returns `content_type`, or kDefaultContentType if it is empty.
std::string ContentTypeOrDefault(absl::string_view content_type);

// Fills `document` from `record`, content included if `record` has it.
void DocumentToProto(absl::string_view tenant_id,
                     const storage::DocumentRecord& record,
                     tenantry::v1::Document* document);

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_DOCUMENT_FIELDS_H_
