#include "services/document_fields.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/etag.h"
#include "services/request_validator.h"
#include "services/resource_names.h"
#include "services/timestamps.h"
#include "storage/status_macros.h"

namespace tenantry::services {

absl::StatusOr<std::optional<std::string>> ValidateDocumentFields(
    const tenantry::v1::Document& document,
    const std::function<bool(absl::string_view)>& selected,
    absl::string_view tenant_id, int64_t max_content_bytes) {
  RequestValidator validator;
  if (selected("title")) {
    validator.Required("document.title", document.title());
    validator.MaxLength("document.title", document.title(), kMaxTitleLength);
  }
  if (selected("content") &&
      static_cast<int64_t>(document.content().size()) > max_content_bytes) {
    validator.AddViolation(
        "document.content",
        absl::StrCat("is ", document.content().size(),
                     " bytes; the server accepts at most ", max_content_bytes,
                     "; send larger content with UploadDocument"));
  }
  if (selected("content_type")) {
    validator.MaxLength("document.content_type", document.content_type(),
                        kMaxShortTextLength);
    validator.MediaType("document.content_type", document.content_type());
  }
  TENANTRY_RETURN_IF_ERROR(validator.Finish());
  if (!selected("owner") || document.owner().empty()) return std::nullopt;
  TENANTRY_ASSIGN_OR_RETURN(
      std::string owner_id,
      ParseProfileName("document.owner", document.owner(), tenant_id));
  return std::optional<std::string>(std::move(owner_id));
}

std::string ContentTypeOrDefault(absl::string_view content_type) {
  return std::string(content_type.empty() ? kDefaultContentType : content_type);
}

void DocumentToProto(absl::string_view tenant_id,
                     const storage::DocumentRecord& record,
                     tenantry::v1::Document* document) {
  document->set_name(DocumentName(tenant_id, record.id));
  document->set_title(record.title);
  document->set_content(record.content);
  document->set_content_type(record.content_type);
  if (record.owner_profile_id.has_value()) {
    document->set_owner(ProfileName(tenant_id, *record.owner_profile_id));
  }
  document->set_size_bytes(record.size_bytes);
  document->set_sha256(record.sha256);
  SetTimestamp(record.create_time, document->mutable_create_time());
  SetTimestamp(record.update_time, document->mutable_update_time());
  document->set_etag(EtagForRevision(record.revision));
}

}  // namespace tenantry::services
