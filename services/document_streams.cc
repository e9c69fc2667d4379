#include "services/document_service.h"

namespace tenantry::services {

grpc::Status DocumentServiceImpl::UploadDocument(
    grpc::ServerContext*,
    grpc::ServerReader<tenantry::v1::UploadDocumentRequest>*,
    tenantry::v1::Document*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "UploadDocument");
}

grpc::Status DocumentServiceImpl::DownloadDocument(
    grpc::ServerContext*, const tenantry::v1::DownloadDocumentRequest*,
    grpc::ServerWriter<tenantry::v1::DownloadDocumentResponse>*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "DownloadDocument");
}

}  // namespace tenantry::services
