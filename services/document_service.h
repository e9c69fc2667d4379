#ifndef TENANTRY_SERVICES_DOCUMENT_SERVICE_H_
#define TENANTRY_SERVICES_DOCUMENT_SERVICE_H_

#include <cstdint>

#include "services/request_context.h"
#include "storage/tenant_registry.h"
#include "tenantry/v1/document.grpc.pb.h"

namespace tenantry::services {

// tenantry.v1.DocumentService: documents of one tenant per call.
// Thread-safe.
class DocumentServiceImpl final
    : public tenantry::v1::DocumentService::Service {
 public:
  // Both pointers must outlive the service. Content longer than
  // `max_content_bytes` is rejected with INVALID_ARGUMENT.
  DocumentServiceImpl(storage::TenantRegistry* tenants,
                      const RequestContextRegistry* contexts,
                      int64_t max_content_bytes)
      : tenants_(tenants),
        contexts_(contexts),
        max_content_bytes_(max_content_bytes) {}

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
  storage::TenantRegistry* const tenants_;
  const RequestContextRegistry* const contexts_;
  const int64_t max_content_bytes_;
};

}  // namespace tenantry::services

#endif  // TENANTRY_SERVICES_DOCUMENT_SERVICE_H_
