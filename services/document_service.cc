#include "services/document_service.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/etag.h"
#include "services/field_violations.h"
#include "services/list_filter.h"
#include "services/pagination.h"
#include "services/request_validator.h"
#include "services/resource_names.h"
#include "services/tenant_call.h"
#include "services/timestamps.h"
#include "services/update_mask.h"
#include "storage/document_store.h"
#include "storage/status_macros.h"

namespace tenantry::services {
namespace {

using storage::DocumentRecord;
using storage::DocumentStore;
using tenantry::v1::Document;
using tenantry::v1::DocumentView;

constexpr absl::string_view kDefaultContentType = "application/octet-stream";

// A ListDocuments page ends before its encoded documents pass this many
// bytes, so that responses stay under the 4 MiB that gRPC clients accept
// by default. A single larger document still comes alone.
constexpr size_t kMaxListResponseBytes = 3 << 20;

const UpdateMask::Fields& DocumentMaskFields() {
  static const auto* const fields = new UpdateMask::Fields{
      {"title", "content", "content_type", "owner"},
      {"name", "size_bytes", "create_time", "update_time", "etag"}};
  return *fields;
}

std::vector<std::string> SetDocumentPaths(const Document& document) {
  std::vector<std::string> paths;
  if (!document.title().empty()) paths.push_back("title");
  if (!document.content().empty()) paths.push_back("content");
  if (!document.content_type().empty()) paths.push_back("content_type");
  if (!document.owner().empty()) paths.push_back("owner");
  return paths;
}

// Checks the selected fields; returns the owner's profile id if the
// request sets one.
absl::StatusOr<std::optional<std::string>> ValidateDocumentFields(
    const Document& document,
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
                     " bytes; the server accepts at most ", max_content_bytes));
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

void DocumentToProto(absl::string_view tenant_id, const DocumentRecord& record,
                     Document* document) {
  document->set_name(DocumentName(tenant_id, record.id));
  document->set_title(record.title);
  document->set_content(record.content);
  document->set_content_type(record.content_type);
  if (record.owner_profile_id.has_value()) {
    document->set_owner(ProfileName(tenant_id, *record.owner_profile_id));
  }
  document->set_size_bytes(record.size_bytes);
  SetTimestamp(record.create_time, document->mutable_create_time());
  SetTimestamp(record.update_time, document->mutable_update_time());
  document->set_etag(EtagForRevision(record.revision));
}

// Returns whether a read with `view` includes content, or INVALID_ARGUMENT
// for an unknown view.
absl::StatusOr<bool> IncludesContent(int view, bool default_with_content) {
  if (!tenantry::v1::DocumentView_IsValid(view)) {
    return InvalidFieldError(
        "view", absl::StrCat(view, " is not a known value; use BASIC or FULL"));
  }
  if (view == tenantry::v1::DOCUMENT_VIEW_UNSPECIFIED) {
    return default_with_content;
  }
  return view == tenantry::v1::FULL;
}

}  // namespace

grpc::Status DocumentServiceImpl::CreateDocument(
    grpc::ServerContext* context,
    const tenantry::v1::CreateDocumentRequest* request, Document* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        // Validate.
        TENANTRY_RETURN_IF_ERROR(
            CheckParentTenant("parent", request->parent(), call.tenant_id));
        const Document& document = request->document();
        TENANTRY_ASSIGN_OR_RETURN(
            std::optional<std::string> owner_id,
            ValidateDocumentFields(
                document, [](absl::string_view) { return true; },
                call.tenant_id, max_content_bytes_));

        // Insert; storage checks that the owner exists.
        DocumentRecord record;
        record.title = document.title();
        record.content = document.content();
        record.content_type = document.content_type().empty()
                                  ? std::string(kDefaultContentType)
                                  : document.content_type();
        record.owner_profile_id = std::move(owner_id);
        TENANTRY_ASSIGN_OR_RETURN(const DocumentRecord created,
                                  DocumentStore(call.database).Create(record));
        DocumentToProto(call.tenant_id, created, response);
        // The caller has the content; echoing it would double the traffic
        // and could pass the client's receive limit after the write.
        response->clear_content();
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::GetDocument(
    grpc::ServerContext* context,
    const tenantry::v1::GetDocumentRequest* request, Document* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseDocumentName("name", request->name(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(
            const bool with_content,
            IncludesContent(request->view(), /*default_with_content=*/true));
        TENANTRY_ASSIGN_OR_RETURN(
            const DocumentRecord document,
            DocumentStore(call.database).Get(id, with_content));
        DocumentToProto(call.tenant_id, document, response);
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::ListDocuments(
    grpc::ServerContext* context,
    const tenantry::v1::ListDocumentsRequest* request,
    tenantry::v1::ListDocumentsResponse* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        // Validate.
        TENANTRY_RETURN_IF_ERROR(
            CheckParentTenant("parent", request->parent(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(
            const std::optional<FilterCondition> condition,
            ParseFilter(request->filter(), {"owner"}));
        std::optional<std::string> owner_id;
        if (condition.has_value()) {
          TENANTRY_ASSIGN_OR_RETURN(
              owner_id,
              ParseProfileName("filter", condition->value, call.tenant_id));
        }
        TENANTRY_ASSIGN_OR_RETURN(
            const bool with_content,
            IncludesContent(request->view(), /*default_with_content=*/false));
        const std::string arguments =
            absl::StrCat("ListDocuments|", request->parent(), "|",
                         request->filter(), "|", request->view());
        TENANTRY_ASSIGN_OR_RETURN(
            const storage::PageRequest page,
            ParsePageRequest(request->page_size(), request->page_token(),
                             arguments));

        // Load and respond; a page ends early at kMaxListResponseBytes.
        TENANTRY_ASSIGN_OR_RETURN(
            const storage::Page<DocumentRecord> documents,
            DocumentStore(call.database).List(owner_id, page, with_content));
        bool has_more = documents.has_more;
        size_t response_bytes = 0;
        std::string last_id;
        for (const DocumentRecord& record : documents.items) {
          Document document;
          DocumentToProto(call.tenant_id, record, &document);
          // Each entry also costs a tag and a length prefix of a few bytes.
          response_bytes += document.ByteSizeLong() + 8;
          if (response->documents_size() > 0 &&
              response_bytes > kMaxListResponseBytes) {
            has_more = true;
            break;
          }
          *response->add_documents() = std::move(document);
          last_id = record.id;
        }
        if (!last_id.empty()) {
          response->set_next_page_token(
              NextPageToken(has_more, last_id, arguments));
        }
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::UpdateDocument(
    grpc::ServerContext* context,
    const tenantry::v1::UpdateDocumentRequest* request, Document* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        const Document& document = request->document();
        // Validate.
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseDocumentName("document.name", document.name(),
                              call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                                  ParseEtag("document.etag", document.etag()));
        TENANTRY_ASSIGN_OR_RETURN(
            const UpdateMask mask,
            UpdateMask::Create(
                request->has_update_mask() ? &request->update_mask() : nullptr,
                DocumentMaskFields(), SetDocumentPaths(document)));
        const auto selected = [&mask](absl::string_view path) {
          return mask.Covers(path);
        };
        TENANTRY_ASSIGN_OR_RETURN(
            const std::optional<std::string> owner_id,
            ValidateDocumentFields(document, selected, call.tenant_id,
                                   max_content_bytes_));
        if (mask.empty()) {
          // Nothing to change: return the stored document with its etag
          // unchanged.
          TENANTRY_ASSIGN_OR_RETURN(
              const DocumentRecord current,
              DocumentStore(call.database).Get(id, /*with_content=*/false));
          TENANTRY_RETURN_IF_ERROR(
              CheckEtag(etag, current.revision, document.name()));
          DocumentToProto(call.tenant_id, current, response);
          return absl::OkStatus();
        }

        // Apply the masked fields to the stored document.
        TENANTRY_ASSIGN_OR_RETURN(
            const DocumentRecord updated,
            DocumentStore(call.database)
                .Update(id, [&](DocumentRecord& record) -> absl::Status {
                  TENANTRY_RETURN_IF_ERROR(
                      CheckEtag(etag, record.revision, document.name()));
                  if (selected("title")) record.title = document.title();
                  if (selected("content")) record.content = document.content();
                  if (selected("content_type")) {
                    record.content_type = document.content_type().empty()
                                              ? std::string(kDefaultContentType)
                                              : document.content_type();
                  }
                  if (selected("owner")) record.owner_profile_id = owner_id;
                  return absl::OkStatus();
                }));
        DocumentToProto(call.tenant_id, updated, response);
        response->clear_content();
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::DeleteDocument(
    grpc::ServerContext* context,
    const tenantry::v1::DeleteDocumentRequest* request,
    google::protobuf::Empty* response) {
  return ServeTenantCall(
      *contexts_, *tenants_, context,
      [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseDocumentName("name", request->name(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                                  ParseEtag("etag", request->etag()));
        return DocumentStore(call.database).Delete(id, etag);
      });
}

}  // namespace tenantry::services
