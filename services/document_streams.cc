// The streaming methods of DocumentService: UploadDocument and
// DownloadDocument. Each keeps about one chunk of content in memory per
// call, whatever the document's size; see storage/document_transfer.h.

#include <glog/logging.h>

#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/document_fields.h"
#include "services/document_service.h"
#include "services/field_violations.h"
#include "services/request_ids.h"
#include "services/resource_names.h"
#include "storage/document_transfer.h"
#include "storage/quoting.h"
#include "storage/status_macros.h"

namespace tenantry::services {
namespace {

using storage::DocumentRecord;
using tenantry::v1::Document;
using tenantry::v1::DownloadDocumentResponse;
using tenantry::v1::UploadDocumentRequest;

// Returns why the stream of `call` ended before the client finished it:
// DEADLINE_EXCEEDED once the deadline passed, else CANCELLED.
absl::Status StreamBrokenError(const TenantCall& call,
                               absl::string_view transfer) {
  if (absl::Now() >= call.context.deadline) {
    return absl::DeadlineExceededError(
        absl::StrCat("the call's deadline passed during the ", transfer));
  }
  return absl::CancelledError(
      absl::StrCat("the client cancelled the ", transfer, " or went away"));
}

// Returns the SHA-256 that `message`, the message at `index` (from 1),
// carries in lowercase, or "" if it carries none.
absl::StatusOr<std::string> ParseSha256(const UploadDocumentRequest& message,
                                        int index) {
  if (message.sha256().empty()) return std::string();
  const std::string sha256 = absl::AsciiStrToLower(message.sha256());
  if (!storage::IsLowercaseHexSha256(sha256)) {
    return InvalidFieldError(
        "sha256",
        absl::StrCat(storage::QuoteForMessage(message.sha256()), " in message ",
                     index,
                     " is not a SHA-256; send the 64 hex digits that sha256sum "
                     "prints for the content"));
  }
  return sha256;
}

// Checks the first message of an upload and returns the document it
// describes, without content.
absl::StatusOr<DocumentRecord> ParseFirstMessage(
    const UploadDocumentRequest& first, absl::string_view tenant_id) {
  TENANTRY_RETURN_IF_ERROR(
      CheckParentTenant("parent", first.parent(), tenant_id));
  if (!first.has_document()) {
    return InvalidFieldError(
        "document",
        "is required in the first message: the document's title and other "
        "fields, without content");
  }
  const Document& document = first.document();
  if (!document.content().empty()) {
    return InvalidFieldError(
        "document.content",
        absl::StrCat("is ", document.content().size(),
                     " bytes but must be empty in UploadDocument; send the "
                     "content in the `chunk` field of the messages"));
  }
  TENANTRY_ASSIGN_OR_RETURN(
      std::optional<std::string> owner_id,
      ValidateDocumentFields(
          document, [](absl::string_view path) { return path != "content"; },
          tenant_id, /*max_content_bytes=*/0));
  DocumentRecord record;
  record.title = document.title();
  record.content_type = ContentTypeOrDefault(document.content_type());
  record.owner_profile_id = std::move(owner_id);
  return record;
}

// Checks that a message after the first carries only a chunk and a
// SHA-256.
absl::Status CheckLaterMessage(const UploadDocumentRequest& message,
                               int index) {
  const auto only_first = [index](absl::string_view field) {
    return InvalidFieldError(
        field, absl::StrCat("is set in message ", index,
                            " but belongs only in the first message of the "
                            "stream; leave it empty in the others"));
  };
  if (!message.parent().empty()) return only_first("parent");
  if (message.has_document()) return only_first("document");
  if (!message.request_id().empty()) return only_first("request_id");
  return absl::OkStatus();
}

}  // namespace

grpc::Status DocumentServiceImpl::UploadDocument(
    grpc::ServerContext* context,
    grpc::ServerReader<UploadDocumentRequest>* reader, Document* response) {
  return ServeDocumentCall(
      context, [&](const TenantCall& call) -> absl::Status {
        // An upload also clears what a crashed server left, whether or not
        // this process did so for the tenant already.
        RemoveAbandonedUploads(call);
        const int64_t chunk_limit = options_.content.chunk_bytes;
        const auto check_chunk = [&](const UploadDocumentRequest& message,
                                     int index,
                                     int64_t size_so_far) -> absl::Status {
          const int64_t chunk_bytes =
              static_cast<int64_t>(message.chunk().size());
          if (chunk_bytes > chunk_limit) {
            return InvalidFieldError(
                "chunk",
                absl::StrCat("is ", chunk_bytes, " bytes in message ", index,
                             "; the server accepts at most ", chunk_limit,
                             " bytes per message (--document_chunk_bytes); "
                             "split the content into smaller chunks"));
          }
          if (size_so_far + chunk_bytes > options_.max_upload_bytes) {
            return InvalidFieldError(
                "chunk",
                absl::StrCat("content passes ", size_so_far + chunk_bytes,
                             " bytes at message ", index,
                             "; the server accepts documents of at most ",
                             options_.max_upload_bytes,
                             " bytes (--max_upload_bytes)"));
          }
          return absl::OkStatus();
        };

        // The first message names the document.
        UploadDocumentRequest first;
        if (!reader->Read(&first)) {
          if (context->IsCancelled()) return StreamBrokenError(call, "upload");
          return InvalidRequestError(
              "the upload stream ended without a message; send parent and "
              "document in the first message, then the content in chunks");
        }
        TENANTRY_ASSIGN_OR_RETURN(DocumentRecord record,
                                  ParseFirstMessage(first, call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(std::string expected_sha256,
                                  ParseSha256(first, 1));
        // Checks the request_id's format before any content arrives.
        TENANTRY_RETURN_IF_ERROR(RequestKeyFor("UploadDocument", first,
                                               "request_id", first.request_id())
                                     .status());
        TENANTRY_RETURN_IF_ERROR(check_chunk(first, 1, 0));

        // The content, hashed and written chunk by chunk as it arrives. The
        // upload deletes its chunks when this scope ends without a commit.
        storage::DocumentUpload upload(call.database, options_.content,
                                       call.context.tenant->quota);
        const auto receive = [&]() -> absl::Status {
          TENANTRY_RETURN_IF_ERROR(upload.Append(first.chunk()));
          UploadDocumentRequest message;
          for (int index = 2; reader->Read(&message); ++index) {
            TENANTRY_RETURN_IF_ERROR(CheckLaterMessage(message, index));
            TENANTRY_RETURN_IF_ERROR(
                check_chunk(message, index, upload.size_bytes()));
            TENANTRY_ASSIGN_OR_RETURN(const std::string sha256,
                                      ParseSha256(message, index));
            if (!sha256.empty()) {
              if (!expected_sha256.empty() && sha256 != expected_sha256) {
                return InvalidFieldError(
                    "sha256",
                    absl::StrCat("is ", sha256, " in message ", index, " but ",
                                 expected_sha256,
                                 " in an earlier one; send one value"));
              }
              expected_sha256 = sha256;
            }
            TENANTRY_RETURN_IF_ERROR(upload.Append(message.chunk()));
          }
          // Read() also returns false when the call breaks off.
          if (context->IsCancelled()) return StreamBrokenError(call, "upload");
          return absl::OkStatus();
        };
        absl::Status received = receive();
        if (received.ok()) {
          const std::string actual_sha256 = upload.FinishContent();
          if (expected_sha256.empty()) {
            received = InvalidFieldError(
                "sha256",
                "is required in the first or the last message: the lowercase "
                "hex SHA-256 of the content, as sha256sum prints it; nothing "
                "was stored");
          } else if (expected_sha256 != actual_sha256) {
            received = InvalidFieldError(
                "sha256",
                absl::StrCat("is ", expected_sha256, " but the ",
                             upload.size_bytes(),
                             " bytes received have SHA-256 ", actual_sha256,
                             "; nothing was stored. Hash the same bytes that "
                             "you send, and upload again"));
          }
        }
        const auto fail = [&](absl::Status error) {
          const absl::Status discarded = upload.Discard();
          if (!discarded.ok()) {
            LOG(ERROR) << "failed to delete the chunks of a failed upload in "
                          "tenant "
                       << call.tenant_id
                       << "; the next server process deletes them: "
                       << discarded;
          }
          return error;
        };
        if (!received.ok()) return fail(std::move(received));

        // One write inserts the document, with the quota and request_id checks.
        // The request_id covers the first message with the content's hash.
        UploadDocumentRequest keyed = first;
        keyed.clear_chunk();
        keyed.set_sha256(expected_sha256);
        storage::CreateOptions create_options;
        create_options.quota = call.context.tenant->quota;
        absl::StatusOr<std::optional<storage::RequestKey>> request_key =
            RequestKeyFor("UploadDocument", keyed, "request_id",
                          first.request_id());
        if (!request_key.ok()) return fail(request_key.status());
        create_options.request_key = *std::move(request_key);
        absl::StatusOr<DocumentRecord> created =
            upload.Commit(record, create_options);
        if (!created.ok()) return fail(created.status());
        DocumentToProto(call.tenant_id, *created, response);
        response->clear_content();
        return absl::OkStatus();
      });
}

grpc::Status DocumentServiceImpl::DownloadDocument(
    grpc::ServerContext* context,
    const tenantry::v1::DownloadDocumentRequest* request,
    grpc::ServerWriter<DownloadDocumentResponse>* writer) {
  return ServeDocumentCall(
      context, [&](const TenantCall& call) -> absl::Status {
        TENANTRY_ASSIGN_OR_RETURN(
            const std::string id,
            ParseDocumentName("name", request->name(), call.tenant_id));
        TENANTRY_ASSIGN_OR_RETURN(
            const std::unique_ptr<storage::DocumentDownload> download,
            storage::DocumentDownload::Open(call.database, id));

        // Write() blocks while HTTP/2 flow control holds the stream, so a slow
        // client slows the reads down instead of filling the server's memory.
        DownloadDocumentResponse response;
        DocumentToProto(call.tenant_id, download->document(),
                        response.mutable_document());
        response.mutable_document()->clear_content();
        if (!writer->Write(response))
          return StreamBrokenError(call, "download");
        response.Clear();
        const auto send = [&](std::string chunk) -> absl::Status {
          response.set_chunk(std::move(chunk));
          if (!writer->Write(response))
            return StreamBrokenError(call, "download");
          return absl::OkStatus();
        };

        // Stored pieces are cut or joined into messages of chunk_bytes each
        // but the last.
        const size_t chunk_bytes =
            static_cast<size_t>(options_.content.chunk_bytes);
        std::string pending;
        while (true) {
          TENANTRY_ASSIGN_OR_RETURN(std::optional<std::string> piece,
                                    download->Next());
          if (!piece.has_value()) break;
          if (pending.empty() && piece->size() == chunk_bytes) {
            TENANTRY_RETURN_IF_ERROR(send(*std::move(piece)));
            continue;
          }
          pending.append(*piece);
          piece.reset();
          size_t offset = 0;
          while (pending.size() - offset >= chunk_bytes) {
            TENANTRY_RETURN_IF_ERROR(send(pending.substr(offset, chunk_bytes)));
            offset += chunk_bytes;
          }
          pending.erase(0, offset);
        }
        if (!pending.empty())
          TENANTRY_RETURN_IF_ERROR(send(std::move(pending)));
        return absl::OkStatus();
      });
}

}  // namespace tenantry::services
