#ifndef TENANTRY_SERVICES_DOCUMENT_SERVICE_H_
#define TENANTRY_SERVICES_DOCUMENT_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "services/request_context.h"
#include "services/tenant_call.h"
#include "storage/document_content.h"
#include "storage/document_store.h"
#include "storage/tenant_registry.h"
#include "tenantry/v1/document.grpc.pb.h"

namespace tenantry::services {

// The size limits of DocumentService and how it stores content.
struct DocumentServiceOptions {
  // The largest content that CreateDocument and UpdateDocument accept, and
  // that GetDocument and ListDocuments return; larger documents come only
  // through DownloadDocument.
  int64_t max_content_bytes = (4 << 20) - (64 << 10);
  // The storage of content: in the row up to `content.inline_max_bytes`,
  // else in chunks of `content.chunk_bytes`, which is also the largest
  // chunk of an UploadDocument message and the chunk size of
  // DownloadDocument messages.
  storage::DocumentContentOptions content;
  // The largest content that UploadDocument accepts.
  int64_t max_upload_bytes = int64_t{1} << 30;
};

// tenantry.v1.DocumentService: documents of one tenant per call.
// Thread-safe.
class DocumentServiceImpl final
    : public tenantry::v1::DocumentService::Service {
 public:
  // Both pointers must outlive the service.
  DocumentServiceImpl(storage::TenantRegistry* tenants,
                      const RequestContextRegistry* contexts,
                      DocumentServiceOptions options)
      : tenants_(tenants), contexts_(contexts), options_(options) {}

  // Content longer than `max_content_bytes` is rejected with
  // INVALID_ARGUMENT; the other options keep their defaults.
  DocumentServiceImpl(storage::TenantRegistry* tenants,
                      const RequestContextRegistry* contexts,
                      int64_t max_content_bytes)
      : DocumentServiceImpl(tenants, contexts,
                            DocumentServiceOptions{max_content_bytes}) {}

  grpc::Status CreateDocument(
      grpc::ServerContext* context,
      const tenantry::v1::CreateDocumentRequest* request,
      tenantry::v1::Document* response) override;
  grpc::Status GetDocument(grpc::ServerContext* context,
                           const tenantry::v1::GetDocumentRequest* request,
                           tenantry::v1::Document* response) override;
  grpc::Status ListDocuments(
      grpc::ServerContext* context,
      const tenantry::v1::ListDocumentsRequest* request,
      tenantry::v1::ListDocumentsResponse* response) override;
  grpc::Status UpdateDocument(
      grpc::ServerContext* context,
      const tenantry::v1::UpdateDocumentRequest* request,
      tenantry::v1::Document* response) override;
  grpc::Status DeleteDocument(
      grpc::ServerContext* context,
      const tenantry::v1::DeleteDocumentRequest* request,
      google::protobuf::Empty* response) override;
  // In document_streams.cc.
  grpc::Status UploadDocument(
      grpc::ServerContext* context,
      grpc::ServerReader<tenantry::v1::UploadDocumentRequest>* reader,
      tenantry::v1::Document* response) override;
  grpc::Status DownloadDocument(
      grpc::ServerContext* context,
      const tenantry::v1::DownloadDocumentRequest* request,
      grpc::ServerWriter<tenantry::v1::DownloadDocumentResponse>* writer)
      override;

 private:
  // ServeTenantCall() for this service: before the first call to a tenant
  // in this process runs `handler`, deletes the uploads that an earlier
  // server process left unfinished in that tenant's database.
  grpc::Status ServeDocumentCall(
      const grpc::ServerContext* context,
      const std::function<absl::Status(const TenantCall&)>& handler);

  // Returns the document store of the call's tenant database.
  storage::DocumentStore Store(const TenantCall& call) const;

  // Runs storage::RemoveAbandonedUploads and logs what it removed or its
  // error, which does not fail the call.
  void RemoveAbandonedUploads(const TenantCall& call);

  storage::TenantRegistry* const tenants_;
  const RequestContextRegistry* const contexts_;
  const DocumentServiceOptions options_;
  absl::Mutex swept_mutex_;
  // Tenants whose abandoned uploads this process has deleted.
  absl::flat_hash_set<std::string> swept_tenants_ ABSL_GUARDED_BY(swept_mutex_);
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_DOCUMENT_SERVICE_H_
