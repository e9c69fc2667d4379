#include "services/document_service.h"

#include <glog/logging.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/document_fields.h"
#include "services/etag.h"
#include "services/field_violations.h"
#include "services/list_filter.h"
#include "services/pagination.h"
#include "services/request_ids.h"
#include "services/resource_names.h"
#include "services/update_mask.h"
#include "storage/document_store.h"
#include "storage/status_macros.h"

namespace tenantry::services {
namespace {

using storage::DocumentRecord;
using storage::DocumentStore;
using tenantry::v1::Document;
using tenantry::v1::DocumentView;

// A ListDocuments page ends before its encoded documents pass this many
// bytes, so that responses stay under the 4 MiB that gRPC clients accept
// by default. A single larger document still comes alone.
constexpr size_t kMaxListResponseBytes = 3 << 20;

const UpdateMask::Fields& DocumentMaskFields() {
  static const auto* const fields = new UpdateMask::Fields{
      {"title", "content", "content_type", "owner"},
      {"name", "size_bytes", "sha256", "create_time", "update_time", "etag"}};
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

storage::DocumentStore DocumentServiceImpl::Store(
    const TenantCall& call) const {
  return DocumentStore(call.database, options_.content);
}

grpc::Status DocumentServiceImpl::ServeDocumentCall(
    const grpc::ServerContext* context,
    const std::function<absl::Status(const TenantCall&)>& handler) {
  return ServeTenantCall(*contexts_, *tenants_, context,
                         [&](const TenantCall& call) -> absl::Status {
                           bool swept = false;
                           {
                             absl::MutexLock lock(&swept_mutex_);
                             swept = swept_tenants_.contains(call.tenant_id);
                           }
                           if (!swept) RemoveAbandonedUploads(call);
                           return handler(call);
                         });
}

void DocumentServiceImpl::RemoveAbandonedUploads(const TenantCall& call) {
  const absl::StatusOr<int> removed =
      storage::RemoveAbandonedUploads(*call.database);
  if (!removed.ok()) {
    LOG(ERROR) << "failed to delete the unfinished uploads of earlier server "
                  "processes in tenant "
               << call.tenant_id
               << "; the next call retries: " << removed.status();
    return;
  }
  if (*removed > 0) {
    LOG(WARNING) << "deleted " << *removed
                 << " unfinished uploads of an earlier server process, with "
                    "their chunks, in tenant "
                 << call.tenant_id;
  }
  absl::MutexLock lock(&swept_mutex_);
  swept_tenants_.insert(call.tenant_id);
}

grpc::Status DocumentServiceImpl::CreateDocument(
    grpc::ServerContext* context,
    const tenantry::v1::CreateDocumentRequest* request, Document* response) {
  return ServeDocumentCall(
      context, [&](const TenantCall& call) -> absl::Status {
        // Validate.
        TENANTRY_RETURN_IF_ERROR(
            CheckParentTenant("parent", request->parent(), call.tenant_id));
        const Document& document = request->document();
        TENANTRY_ASSIGN_OR_RETURN(
            std::optional<std::string> owner_id,
            ValidateDocumentFields(
                document, [](absl::string_view) { return true; },
                call.tenant_id, options_.max_content_bytes));
        storage::CreateOptions create_options;
        create_options.quota = call.context.tenant->quota;
        TENANTRY_ASSIGN_OR_RETURN(
            create_options.request_key,
            RequestKeyFor("CreateDocument", *request, "request_id",
                          request->request_id()));

        // Insert; storage checks the owner, the request id and the quota.
        DocumentRecord record;
        record.title = document.title();
        record.content = document.content();
        record.content_type = ContentTypeOrDefault(document.content_type());
        record.owner_profile_id = std::move(owner_id);
        TENANTRY_ASSIGN_OR_RETURN(const DocumentRecord created,
                                  Store(call).Create(record, create_options));
        // The caller has the content; echoing it would double the traffic
        // and could pass the client's receive limit after the write.
        DocumentToProto(call.tenant_id, created, response);
        response->clear_content();
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::GetDocument(
    grpc::ServerContext* context,
    const tenantry::v1::GetDocumentRequest* request, Document* response) {
  return ServeDocumentCall(
      context, [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseDocumentName("name", request->name(), call.tenant_id));
        storage::ContentRead read;
        TENANTRY_ASSIGN_OR_RETURN(
            read.with_content,
            IncludesContent(request->view(), /*default_with_content=*/true));
        read.max_bytes = options_.max_content_bytes;
        TENANTRY_ASSIGN_OR_RETURN(const DocumentRecord document,
                                  Store(call).Get(id, read));
        if (read.with_content && document.size_bytes > read.max_bytes) {
          return absl::FailedPreconditionError(absl::StrCat(
              "document ", request->name(), " is ", document.size_bytes,
              " bytes, more than the ", read.max_bytes,
              " bytes (--max_document_bytes) that GetDocument returns; read "
              "its content with DownloadDocument, or its other fields with "
              "view BASIC"));
        }
        DocumentToProto(call.tenant_id, document, response);
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::ListDocuments(
    grpc::ServerContext* context,
    const tenantry::v1::ListDocumentsRequest* request,
    tenantry::v1::ListDocumentsResponse* response) {
  return ServeDocumentCall(
      context, [&](const TenantCall& call) -> absl::Status {
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
        storage::ContentRead read;
        TENANTRY_ASSIGN_OR_RETURN(
            read.with_content,
            IncludesContent(request->view(), /*default_with_content=*/false));
        // Larger documents come without content; see the proto.
        read.max_bytes = options_.max_content_bytes;
        read.max_page_bytes = kMaxListResponseBytes;
        const std::string arguments =
            absl::StrCat("ListDocuments|", request->parent(), "|",
                         request->filter(), "|", request->view());
        TENANTRY_ASSIGN_OR_RETURN(
            const storage::PageRequest page,
            ParsePageRequest(request->page_size(), request->page_token(),
                             arguments));

        // Load and respond; a page ends early at kMaxListResponseBytes.
        TENANTRY_ASSIGN_OR_RETURN(const storage::Page<DocumentRecord> documents,
                                  Store(call).List(owner_id, page, read));
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
  return ServeDocumentCall(
      context, [&](const TenantCall& call) -> absl::Status {
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
                                   options_.max_content_bytes));
        if (mask.empty()) {
          // Nothing to change: return the stored document with its etag
          // unchanged.
          TENANTRY_ASSIGN_OR_RETURN(
              const DocumentRecord current,
              Store(call).Get(id, /*with_content=*/false));
          TENANTRY_RETURN_IF_ERROR(
              CheckEtag(etag, current.revision, document.name()));
          DocumentToProto(call.tenant_id, current, response);
          return absl::OkStatus();
        }

        // Apply the masked fields to the stored document. New content,
        // which fits a unary request, replaces the old whatever its size
        // and is stored inline or in chunks by its own size.
        std::optional<std::string> new_content;
        if (selected("content")) new_content = document.content();
        TENANTRY_ASSIGN_OR_RETURN(
            const DocumentRecord updated,
            Store(call).Update(
                id,
                [&](DocumentRecord& record) -> absl::Status {
                  TENANTRY_RETURN_IF_ERROR(
                      CheckEtag(etag, record.revision, document.name()));
                  if (selected("title")) record.title = document.title();
                  if (selected("content_type")) {
                    record.content_type =
                        ContentTypeOrDefault(document.content_type());
                  }
                  if (selected("owner")) record.owner_profile_id = owner_id;
                  return absl::OkStatus();
                },
                new_content, call.context.tenant->quota));
        DocumentToProto(call.tenant_id, updated, response);
        response->clear_content();
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::DeleteDocument(
    grpc::ServerContext* context,
    const tenantry::v1::DeleteDocumentRequest* request,
    google::protobuf::Empty* response) {
  return ServeDocumentCall(
      context, [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseDocumentName("name", request->name(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(const std::optional<int64_t> etag,
                                  ParseEtag("etag", request->etag()));
        return Store(call).Delete(id, etag);
      });
}

}  // namespace tenantry::services
