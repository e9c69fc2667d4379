// UploadDocument and DownloadDocument through a real server, and what they
// leave in the tenant's SQLite file: documents, chunks and registered
// uploads are counted in the file itself.

#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::DeleteDocumentRequest;
using tenantry::v1::DeleteTenantRequest;
using tenantry::v1::Document;
using tenantry::v1::DownloadDocumentRequest;
using tenantry::v1::DownloadDocumentResponse;
using tenantry::v1::GetDocumentRequest;
using tenantry::v1::ListDocumentsRequest;
using tenantry::v1::ListDocumentsResponse;
using tenantry::v1::Tenant;
using tenantry::v1::UpdateDocumentRequest;
using tenantry::v1::UpdateTenantRequest;
using tenantry::v1::UploadDocumentRequest;

constexpr char kTenant[] = "acme";

// Small sizes keep the multi-chunk cases fast: content above 16 KiB is
// chunked, 64 KiB per chunk.
constexpr int64_t kInlineMaxBytes = 16 << 10;
constexpr int64_t kChunkBytes = 64 << 10;

std::string Sha256Of(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 generator(seed);
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t value = generator();
    for (size_t j = 0; j < 8 && i + j < size; ++j) {
      bytes[i + j] = static_cast<char>(value >> (8 * j));
    }
  }
  return bytes;
}

// Where an upload sends the content's SHA-256.
enum class HashIn { kFirstMessage, kLastMessage, kNowhere };

// The messages of an upload of `content` in chunks of `chunk_bytes`.
std::vector<UploadDocumentRequest> UploadMessages(absl::string_view title,
                                                  absl::string_view content,
                                                  size_t chunk_bytes,
                                                  HashIn hash_in,
                                                  const std::string& sha256) {
  std::vector<UploadDocumentRequest> messages(1);
  messages[0].set_parent(TenantName(kTenant));
  messages[0].mutable_document()->set_title(std::string(title));
  for (size_t offset = 0; offset < content.size(); offset += chunk_bytes) {
    UploadDocumentRequest chunk;
    chunk.set_chunk(std::string(content.substr(offset, chunk_bytes)));
    messages.push_back(std::move(chunk));
  }
  if (hash_in == HashIn::kFirstMessage) messages.front().set_sha256(sha256);
  if (hash_in == HashIn::kLastMessage) messages.back().set_sha256(sha256);
  return messages;
}

struct Download {
  grpc::Status status;
  // The first message's document.
  Document document;
  std::string content;
  std::vector<size_t> chunk_sizes;
  // Whether a message after the first carried a document.
  bool document_repeated = false;
};

class DocumentStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services::ServerOptions options;
    options.document_inline_max_bytes = kInlineMaxBytes;
    options.document_chunk_bytes = kChunkBytes;
    StartServer(options);
  }

  void StartServer(const services::ServerOptions& options) {
    server_.reset();
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant(kTenant);
  }

  std::string DatabasePath() const {
    return absl::StrCat(server_->data_dir(), "/tenants/", kTenant, ".db");
  }

  // Counts the rows of `table` in the tenant's database file, read by a
  // connection of its own.
  int64_t CountRows(absl::string_view table) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(DatabasePath().c_str(), &db, SQLITE_OPEN_READONLY,
                        nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open " << DatabasePath() << ": "
                    << sqlite3_errmsg(db);
      sqlite3_close(db);
      return -1;
    }
    sqlite3_stmt* statement = nullptr;
    const std::string sql = absl::StrCat("SELECT count(*) FROM ", table);
    int64_t count = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      count = sqlite3_column_int64(statement, 0);
    } else {
      ADD_FAILURE() << sql << " failed: " << sqlite3_errmsg(db);
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return count;
  }

  // Expects no document, no chunk and no registered upload in the file.
  void ExpectNothingStored() {
    EXPECT_EQ(CountRows("documents"), 0);
    EXPECT_EQ(CountRows("document_chunks"), 0);
    EXPECT_EQ(CountRows("document_uploads"), 0);
  }

  // Waits up to 10 seconds for `table` to have `rows` rows; returns the
  // last count read.
  int64_t AwaitRows(absl::string_view table, int64_t rows) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    int64_t count = CountRows(table);
    while (count != rows && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(20));
      count = CountRows(table);
    }
    return count;
  }

  grpc::Status Upload(const std::vector<UploadDocumentRequest>& messages,
                      Document* document) {
    std::unique_ptr<grpc::ClientContext> context =
        TestServer::TenantContext(kTenant);
    std::unique_ptr<grpc::ClientWriter<UploadDocumentRequest>> writer =
        server_->documents().UploadDocument(context.get(), document);
    for (const UploadDocumentRequest& message : messages) {
      // A write fails once the server has ended the call; Finish() then
      // returns its status.
      if (!writer->Write(message)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  // Uploads `content` in chunks of kChunkBytes with its SHA-256 in the
  // last message, and returns the document.
  Document UploadContent(absl::string_view title, absl::string_view content) {
    Document document;
    const grpc::Status status =
        Upload(UploadMessages(title, content, kChunkBytes, HashIn::kLastMessage,
                              Sha256Of(content)),
               &document);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
        << status.error_message();
    return document;
  }

  Download DownloadDocument(absl::string_view name) {
    Download download;
    DownloadDocumentRequest request;
    request.set_name(std::string(name));
    std::unique_ptr<grpc::ClientContext> context =
        TestServer::TenantContext(kTenant);
    std::unique_ptr<grpc::ClientReader<DownloadDocumentResponse>> reader =
        server_->documents().DownloadDocument(context.get(), request);
    DownloadDocumentResponse response;
    bool first = true;
    while (reader->Read(&response)) {
      if (first) {
        download.document = response.document();
        first = false;
      } else if (response.has_document()) {
        download.document_repeated = true;
      }
      if (!response.chunk().empty()) {
        download.chunk_sizes.push_back(response.chunk().size());
        download.content += response.chunk();
      }
    }
    download.status = reader->Finish();
    return download;
  }

  grpc::Status GetDocument(absl::string_view name,
                           tenantry::v1::DocumentView view,
                           Document* document) {
    GetDocumentRequest request;
    request.set_name(std::string(name));
    request.set_view(view);
    return server_->documents().GetDocument(
        TestServer::TenantContext(kTenant).get(), request, document);
  }

  grpc::Status DeleteDocument(absl::string_view name) {
    DeleteDocumentRequest request;
    request.set_name(std::string(name));
    google::protobuf::Empty response;
    return server_->documents().DeleteDocument(
        TestServer::TenantContext(kTenant).get(), request, &response);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(DocumentStreamTest, UploadAndDownloadTwentyMebibytes) {
  services::ServerOptions options;  // 256 KiB inline, 1 MiB chunks
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  const std::string content = RandomBytes(20 << 20, 1);
  const std::string sha256 = Sha256Of(content);
  Document uploaded;

  const grpc::Status status = Upload(
      UploadMessages("Scan", content, 1 << 20, HashIn::kLastMessage, sha256),
      &uploaded);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_TRUE(absl::StartsWith(uploaded.name(), "tenants/acme/documents/"))
      << uploaded.name();
  EXPECT_EQ(uploaded.title(), "Scan");
  EXPECT_EQ(uploaded.size_bytes(), 20 << 20);
  EXPECT_EQ(uploaded.sha256(), sha256);
  EXPECT_EQ(uploaded.content(), "");
  EXPECT_EQ(uploaded.content_type(), "application/octet-stream");
  EXPECT_EQ(CountRows("documents"), 1);
  EXPECT_EQ(CountRows("document_chunks"), 20);
  EXPECT_EQ(CountRows("document_uploads"), 0);

  const Download download = DownloadDocument(uploaded.name());

  ASSERT_EQ(download.status.error_code(), grpc::StatusCode::OK)
      << download.status.error_message();
  EXPECT_EQ(download.document.name(), uploaded.name());
  EXPECT_EQ(download.document.sha256(), sha256);
  EXPECT_EQ(download.document.size_bytes(), 20 << 20);
  EXPECT_EQ(download.document.content(), "");
  EXPECT_FALSE(download.document_repeated);
  EXPECT_EQ(download.chunk_sizes, std::vector<size_t>(20, 1 << 20));
  EXPECT_EQ(download.content.size(), content.size());
  EXPECT_TRUE(download.content == content);
  EXPECT_EQ(Sha256Of(download.content), sha256);
}

TEST_F(DocumentStreamTest, DownloadCutsContentIntoChunkSizedMessages) {
  // Inline content of 90 KiB and chunked content of 150 KiB, both sent in
  // messages of 40 KiB.
  services::ServerOptions options;
  options.document_inline_max_bytes = 100 << 10;
  options.document_chunk_bytes = 40 << 10;
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  Document inline_request;
  inline_request.set_title("Inline");
  inline_request.set_content(RandomBytes(90 << 10, 2));
  const Document inline_document =
      server_->CreateDocument(kTenant, inline_request);
  Document chunked_request;
  chunked_request.set_title("Chunked");
  chunked_request.set_content(RandomBytes(150 << 10, 3));
  const Document chunked_document =
      server_->CreateDocument(kTenant, chunked_request);
  ASSERT_EQ(CountRows("document_chunks"), 4);

  const Download inline_download = DownloadDocument(inline_document.name());
  const Download chunked_download = DownloadDocument(chunked_document.name());

  ASSERT_EQ(inline_download.status.error_code(), grpc::StatusCode::OK)
      << inline_download.status.error_message();
  EXPECT_EQ(inline_download.chunk_sizes,
            (std::vector<size_t>{40 << 10, 40 << 10, 10 << 10}));
  EXPECT_TRUE(inline_download.content == inline_request.content());
  ASSERT_EQ(chunked_download.status.error_code(), grpc::StatusCode::OK)
      << chunked_download.status.error_message();
  EXPECT_EQ(chunked_download.chunk_sizes,
            (std::vector<size_t>{40 << 10, 40 << 10, 40 << 10, 30 << 10}));
  EXPECT_TRUE(chunked_download.content == chunked_request.content());
}

TEST_F(DocumentStreamTest, SmallUploadStoresInline) {
  const std::string content = "a small note";
  Document uploaded;

  const grpc::Status status =
      Upload(UploadMessages("Note", content, 4, HashIn::kFirstMessage,
                            Sha256Of(content)),
             &uploaded);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(uploaded.size_bytes(), 12);
  EXPECT_EQ(CountRows("documents"), 1);
  EXPECT_EQ(CountRows("document_chunks"), 0);
  Document stored;
  ASSERT_EQ(
      GetDocument(uploaded.name(), tenantry::v1::FULL, &stored).error_code(),
      grpc::StatusCode::OK);
  EXPECT_EQ(stored.content(), content);
  EXPECT_EQ(stored.sha256(), Sha256Of(content));
}

TEST_F(DocumentStreamTest, DownloadSmallAndEmptyDocuments) {
  const Document small = server_->CreateDocument(kTenant, [] {
    Document document;
    document.set_title("Small");
    document.set_content(std::string("PDF\0\xff", 5));
    return document;
  }());
  const Document empty = server_->CreateDocument(kTenant, [] {
    Document document;
    document.set_title("Empty");
    return document;
  }());

  const Download small_download = DownloadDocument(small.name());
  const Download empty_download = DownloadDocument(empty.name());

  ASSERT_EQ(small_download.status.error_code(), grpc::StatusCode::OK)
      << small_download.status.error_message();
  EXPECT_EQ(small_download.content, std::string("PDF\0\xff", 5));
  EXPECT_EQ(small_download.chunk_sizes, std::vector<size_t>{5});
  EXPECT_EQ(small_download.document.sha256(),
            Sha256Of(std::string("PDF\0\xff", 5)));
  EXPECT_EQ(small.sha256(), small_download.document.sha256());
  ASSERT_EQ(empty_download.status.error_code(), grpc::StatusCode::OK)
      << empty_download.status.error_message();
  EXPECT_EQ(empty_download.content, "");
  EXPECT_TRUE(empty_download.chunk_sizes.empty());
  EXPECT_EQ(empty_download.document.size_bytes(), 0);
  EXPECT_EQ(empty_download.document.sha256(), Sha256Of(""));
}

TEST_F(DocumentStreamTest, DownloadMissingOrMalformedNameFails) {
  const Download missing =
      DownloadDocument("tenants/acme/documents/01hx0000000000000000000000");
  const Download malformed = DownloadDocument("tenants/acme/documents/x");
  const Download other_tenant =
      DownloadDocument("tenants/other/documents/01hx0000000000000000000000");

  EXPECT_EQ(missing.status.error_code(), grpc::StatusCode::NOT_FOUND)
      << missing.status.error_message();
  EXPECT_EQ(malformed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << malformed.status.error_message();
  EXPECT_EQ(other_tenant.status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << other_tenant.status.error_message();
}

TEST_F(DocumentStreamTest, WrongSha256StoresNothing) {
  const std::string content = RandomBytes(300 << 10, 3);
  const std::string wrong = Sha256Of("something else");
  Document uploaded;

  const grpc::Status status = Upload(
      UploadMessages("Scan", content, kChunkBytes, HashIn::kLastMessage, wrong),
      &uploaded);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), wrong))
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), Sha256Of(content)))
      << status.error_message();
  ExpectNothingStored();
}

TEST_F(DocumentStreamTest, MissingSha256StoresNothing) {
  const std::string content = RandomBytes(300 << 10, 4);
  Document uploaded;

  const grpc::Status status =
      Upload(UploadMessages("Scan", content, kChunkBytes, HashIn::kNowhere, ""),
             &uploaded);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "sha256"))
      << status.error_message();
  ExpectNothingStored();
}

TEST_F(DocumentStreamTest, MalformedOrConflictingSha256Fails) {
  const std::string content = RandomBytes(100 << 10, 5);
  std::vector<UploadDocumentRequest> malformed = UploadMessages(
      "Scan", content, kChunkBytes, HashIn::kFirstMessage, "not-a-hash");
  std::vector<UploadDocumentRequest> conflicting = UploadMessages(
      "Scan", content, kChunkBytes, HashIn::kFirstMessage, Sha256Of(content));
  conflicting.back().set_sha256(Sha256Of("other"));
  Document uploaded;

  const grpc::Status malformed_status = Upload(malformed, &uploaded);
  const grpc::Status conflicting_status = Upload(conflicting, &uploaded);

  EXPECT_EQ(malformed_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << malformed_status.error_message();
  EXPECT_EQ(conflicting_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << conflicting_status.error_message();
  ExpectNothingStored();
}

TEST_F(DocumentStreamTest, UppercaseSha256IsAccepted) {
  const std::string content = "case";
  Document uploaded;

  const grpc::Status status =
      Upload(UploadMessages("Case", content, 4, HashIn::kLastMessage,
                            absl::AsciiStrToUpper(Sha256Of(content))),
             &uploaded);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(uploaded.sha256(), Sha256Of(content));
}

TEST_F(DocumentStreamTest, OversizedChunkStoresNothing) {
  // Two full chunks are written before the oversized one arrives.
  const std::string content = RandomBytes(3 * kChunkBytes, 6);
  std::vector<UploadDocumentRequest> messages = UploadMessages(
      "Scan", content, kChunkBytes, HashIn::kLastMessage, Sha256Of(content));
  UploadDocumentRequest oversized;
  oversized.set_chunk(std::string(kChunkBytes + 1, 'x'));
  messages.insert(messages.end() - 1, oversized);
  Document uploaded;

  const grpc::Status status = Upload(messages, &uploaded);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_TRUE(
      absl::StrContains(status.error_message(), absl::StrCat(kChunkBytes + 1)))
      << status.error_message();
  EXPECT_TRUE(
      absl::StrContains(status.error_message(), "--document_chunk_bytes"))
      << status.error_message();
  ExpectNothingStored();
}

TEST_F(DocumentStreamTest, ContentInFirstMessageStoresNothing) {
  std::vector<UploadDocumentRequest> messages =
      UploadMessages("Scan", "abc", 3, HashIn::kLastMessage, Sha256Of("abc"));
  messages.front().mutable_document()->set_content("abc");
  Document uploaded;

  const grpc::Status status = Upload(messages, &uploaded);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "document.content"))
      << status.error_message();
  ExpectNothingStored();
}

TEST_F(DocumentStreamTest, MalformedStreamsStoreNothing) {
  struct Case {
    std::string description;
    std::vector<UploadDocumentRequest> messages;
  };
  const std::string content = RandomBytes(2 * kChunkBytes, 7);
  const auto valid = [&] {
    return UploadMessages("Scan", content, kChunkBytes, HashIn::kLastMessage,
                          Sha256Of(content));
  };
  std::vector<Case> cases;
  cases.push_back({"no message", {}});
  cases.push_back({"no document", valid()});
  cases.back().messages.front().clear_document();
  cases.push_back({"no title", valid()});
  cases.back().messages.front().mutable_document()->clear_title();
  cases.push_back({"no parent", valid()});
  cases.back().messages.front().clear_parent();
  cases.push_back({"other tenant's parent", valid()});
  cases.back().messages.front().set_parent("tenants/other");
  cases.push_back({"parent in a later message", valid()});
  cases.back().messages[2].set_parent(TenantName(kTenant));
  cases.push_back({"document in a later message", valid()});
  cases.back().messages[1].mutable_document()->set_title("Again");
  cases.push_back({"request_id in a later message", valid()});
  cases.back().messages[1].set_request_id("retry-1");
  cases.push_back({"malformed request_id", valid()});
  cases.back().messages.front().set_request_id("not a request id!");
  cases.push_back({"malformed owner", valid()});
  cases.back().messages.front().mutable_document()->set_owner("ada");
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.description);
    Document uploaded;

    const grpc::Status status = Upload(test_case.messages, &uploaded);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
    ExpectNothingStored();
  }
}

TEST_F(DocumentStreamTest, MissingOwnerStoresNothing) {
  const std::string content = RandomBytes(2 * kChunkBytes, 8);
  std::vector<UploadDocumentRequest> messages = UploadMessages(
      "Scan", content, kChunkBytes, HashIn::kLastMessage, Sha256Of(content));
  messages.front().mutable_document()->set_owner(
      "tenants/acme/profiles/01hx0000000000000000000000");
  Document uploaded;

  const grpc::Status status = Upload(messages, &uploaded);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
  ExpectNothingStored();
}

TEST_F(DocumentStreamTest, UploadAboveMaxUploadBytesStoresNothing) {
  services::ServerOptions options;
  options.document_inline_max_bytes = kInlineMaxBytes;
  options.document_chunk_bytes = kChunkBytes;
  options.max_upload_bytes = 2 * kChunkBytes;
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  const std::string at_limit = RandomBytes(2 * kChunkBytes, 9);
  const std::string above = RandomBytes(2 * kChunkBytes + 1, 10);
  Document uploaded;
  ASSERT_EQ(Upload(UploadMessages("At limit", at_limit, kChunkBytes,
                                  HashIn::kLastMessage, Sha256Of(at_limit)),
                   &uploaded)
                .error_code(),
            grpc::StatusCode::OK);
  ASSERT_EQ(DeleteDocument(uploaded.name()).error_code(), grpc::StatusCode::OK);

  const grpc::Status status =
      Upload(UploadMessages("Above", above, kChunkBytes, HashIn::kLastMessage,
                            Sha256Of(above)),
             &uploaded);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "--max_upload_bytes"))
      << status.error_message();
  ExpectNothingStored();
}

TEST_F(DocumentStreamTest, CancelledUploadStoresNothing) {
  const std::string chunk = RandomBytes(kChunkBytes, 11);
  std::vector<UploadDocumentRequest> messages =
      UploadMessages("Cancelled", "", kChunkBytes, HashIn::kNowhere, "");
  grpc::ClientContext context;
  context.AddMetadata("x-tenant-id", kTenant);
  Document uploaded;
  std::unique_ptr<grpc::ClientWriter<UploadDocumentRequest>> writer =
      server_->documents().UploadDocument(&context, &uploaded);
  ASSERT_TRUE(writer->Write(messages.front()));
  UploadDocumentRequest message;
  message.set_chunk(chunk);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(writer->Write(message));
  // The server writes each full chunk before it reads on, so chunks show
  // up in the file while the stream is open.
  ASSERT_EQ(AwaitRows("document_chunks", 4), 4);
  EXPECT_EQ(CountRows("document_uploads"), 1);

  context.TryCancel();
  const grpc::Status status = writer->Finish();

  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED)
      << status.error_message();
  EXPECT_EQ(AwaitRows("document_chunks", 0), 0);
  EXPECT_EQ(AwaitRows("document_uploads", 0), 0);
  EXPECT_EQ(CountRows("documents"), 0);
}

TEST_F(DocumentStreamTest, CancelledDownloadEndsCall) {
  services::ServerOptions options;  // 1 MiB chunks
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  const std::string content = RandomBytes(20 << 20, 25);
  Document uploaded;
  ASSERT_EQ(Upload(UploadMessages("Scan", content, 1 << 20,
                                  HashIn::kLastMessage, Sha256Of(content)),
                   &uploaded)
                .error_code(),
            grpc::StatusCode::OK);
  grpc::ClientContext context;
  context.AddMetadata("x-tenant-id", kTenant);
  DownloadDocumentRequest request;
  request.set_name(uploaded.name());
  std::unique_ptr<grpc::ClientReader<DownloadDocumentResponse>> reader =
      server_->documents().DownloadDocument(&context, request);
  DownloadDocumentResponse response;
  ASSERT_TRUE(reader->Read(&response));
  ASSERT_TRUE(response.has_document());

  context.TryCancel();
  while (reader->Read(&response)) {
  }
  const grpc::Status status = reader->Finish();

  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED)
      << status.error_message();
  // The server goes on serving the document to the next client.
  const Download download = DownloadDocument(uploaded.name());
  EXPECT_EQ(download.status.error_code(), grpc::StatusCode::OK)
      << download.status.error_message();
  EXPECT_EQ(Sha256Of(download.content), Sha256Of(content));
}

TEST_F(DocumentStreamTest, DeleteLargeDocumentRemovesChunks) {
  const Document remaining =
      UploadContent("Remaining", RandomBytes(200 << 10, 12));
  const Document removed = UploadContent("Removed", RandomBytes(300 << 10, 13));
  ASSERT_EQ(CountRows("document_chunks"), 4 + 5);

  const grpc::Status status = DeleteDocument(removed.name());

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(CountRows("documents"), 1);
  EXPECT_EQ(CountRows("document_chunks"), 4);
  const Download download = DownloadDocument(remaining.name());
  EXPECT_EQ(download.status.error_code(), grpc::StatusCode::OK)
      << download.status.error_message();
  EXPECT_EQ(Sha256Of(download.content), remaining.sha256());
}

TEST_F(DocumentStreamTest, GetFullAboveMaxDocumentBytesFailsPrecondition) {
  services::ServerOptions options;
  options.document_inline_max_bytes = kInlineMaxBytes;
  options.document_chunk_bytes = kChunkBytes;
  options.max_document_bytes = 100 << 10;
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  const std::string content = RandomBytes(300 << 10, 14);
  const Document large = UploadContent("Large", content);
  // Chunked but within the unary limit: Get assembles it.
  const std::string medium_content = RandomBytes(80 << 10, 15);
  const Document medium = UploadContent("Medium", medium_content);
  Document document;

  const grpc::Status full =
      GetDocument(large.name(), tenantry::v1::FULL, &document);

  EXPECT_EQ(full.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << full.error_message();
  EXPECT_TRUE(absl::StrContains(full.error_message(), "DownloadDocument"))
      << full.error_message();
  Document basic;
  ASSERT_EQ(GetDocument(large.name(), tenantry::v1::BASIC, &basic).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(basic.size_bytes(), 300 << 10);
  EXPECT_EQ(basic.sha256(), Sha256Of(content));
  Document medium_full;
  ASSERT_EQ(
      GetDocument(medium.name(), tenantry::v1::FULL, &medium_full).error_code(),
      grpc::StatusCode::OK);
  EXPECT_TRUE(medium_full.content() == medium_content);
  ListDocumentsRequest list;
  list.set_parent(TenantName(kTenant));
  list.set_view(tenantry::v1::FULL);
  ListDocumentsResponse listed;
  ASSERT_EQ(server_->documents()
                .ListDocuments(TestServer::TenantContext(kTenant).get(), list,
                               &listed)
                .error_code(),
            grpc::StatusCode::OK);
  ASSERT_EQ(listed.documents_size(), 2);
  EXPECT_EQ(listed.documents(0).content(), "");
  EXPECT_EQ(listed.documents(0).size_bytes(), 300 << 10);
  EXPECT_EQ(listed.documents(0).sha256(), Sha256Of(content));
  EXPECT_TRUE(listed.documents(1).content() == medium_content);
}

TEST_F(DocumentStreamTest, CreateDocumentAboveInlineLimitStoresChunks) {
  const std::string content = RandomBytes(100 << 10, 16);
  Document request;
  request.set_title("Created");
  request.set_content(content);

  const Document created = server_->CreateDocument(kTenant, request);

  EXPECT_EQ(created.sha256(), Sha256Of(content));
  EXPECT_EQ(CountRows("document_chunks"), 2);
  Document stored;
  ASSERT_EQ(
      GetDocument(created.name(), tenantry::v1::FULL, &stored).error_code(),
      grpc::StatusCode::OK);
  EXPECT_TRUE(stored.content() == content);
  const Download download = DownloadDocument(created.name());
  EXPECT_EQ(download.status.error_code(), grpc::StatusCode::OK)
      << download.status.error_message();
  EXPECT_TRUE(download.content == content);
}

TEST_F(DocumentStreamTest, UpdateContentOfLargeDocumentReplacesChunks) {
  const std::string content = RandomBytes(300 << 10, 17);
  const Document large = UploadContent("Large", content);
  UpdateDocumentRequest rename;
  rename.mutable_document()->set_name(large.name());
  rename.mutable_document()->set_title("Renamed");
  Document renamed;
  ASSERT_EQ(server_->documents()
                .UpdateDocument(TestServer::TenantContext(kTenant).get(),
                                rename, &renamed)
                .error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(renamed.sha256(), Sha256Of(content));
  EXPECT_EQ(renamed.size_bytes(), 300 << 10);
  EXPECT_EQ(CountRows("document_chunks"), 5);
  UpdateDocumentRequest replace;
  replace.mutable_document()->set_name(large.name());
  replace.mutable_document()->set_content("short now");
  Document replaced;

  const grpc::Status status = server_->documents().UpdateDocument(
      TestServer::TenantContext(kTenant).get(), replace, &replaced);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(replaced.size_bytes(), 9);
  EXPECT_EQ(replaced.sha256(), Sha256Of("short now"));
  EXPECT_EQ(replaced.title(), "Renamed");
  EXPECT_EQ(CountRows("document_chunks"), 0);
  const Download download = DownloadDocument(large.name());
  EXPECT_EQ(download.status.error_code(), grpc::StatusCode::OK)
      << download.status.error_message();
  EXPECT_EQ(download.content, "short now");
}

TEST_F(DocumentStreamTest, ForceDeleteOfTenantRemovesItsFile) {
  UploadContent("Large", RandomBytes(300 << 10, 18));
  ASSERT_TRUE(std::filesystem::exists(DatabasePath()));
  DeleteTenantRequest request;
  request.set_name(TenantName(kTenant));
  request.set_force(true);
  Tenant deleted;

  const grpc::Status status = server_->tenants().DeleteTenant(
      TestServer::Context().get(), request, &deleted);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_FALSE(std::filesystem::exists(DatabasePath()));
  EXPECT_FALSE(std::filesystem::exists(DatabasePath() + "-wal"));
}

TEST_F(DocumentStreamTest, RepeatedRequestIdReturnsFirstDocument) {
  const std::string content = RandomBytes(200 << 10, 19);
  std::vector<UploadDocumentRequest> messages = UploadMessages(
      "Scan", content, kChunkBytes, HashIn::kLastMessage, Sha256Of(content));
  messages.front().set_request_id("upload-1");
  Document first;
  ASSERT_EQ(Upload(messages, &first).error_code(), grpc::StatusCode::OK);
  Document second;

  const grpc::Status status = Upload(messages, &second);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(CountRows("documents"), 1);
  EXPECT_EQ(CountRows("document_chunks"), 4);
  EXPECT_EQ(CountRows("document_uploads"), 0);
  // The same id with other content is another request.
  const std::string other = RandomBytes(200 << 10, 20);
  std::vector<UploadDocumentRequest> different = UploadMessages(
      "Scan", other, kChunkBytes, HashIn::kLastMessage, Sha256Of(other));
  different.front().set_request_id("upload-1");
  Document third;
  EXPECT_EQ(Upload(different, &third).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CountRows("document_chunks"), 4);
}

TEST_F(DocumentStreamTest, RepeatedCreateDocumentRequestIdWritesOnce) {
  CreateDocumentRequest request;
  request.set_parent(TenantName(kTenant));
  request.mutable_document()->set_title("Once");
  request.mutable_document()->set_content(RandomBytes(100 << 10, 21));
  request.set_request_id("create-1");
  Document first;
  Document second;

  const grpc::Status first_status = server_->documents().CreateDocument(
      TestServer::TenantContext(kTenant).get(), request, &first);
  const grpc::Status second_status = server_->documents().CreateDocument(
      TestServer::TenantContext(kTenant).get(), request, &second);

  ASSERT_EQ(first_status.error_code(), grpc::StatusCode::OK)
      << first_status.error_message();
  ASSERT_EQ(second_status.error_code(), grpc::StatusCode::OK)
      << second_status.error_message();
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(CountRows("documents"), 1);
  EXPECT_EQ(CountRows("document_chunks"), 2);
}

TEST_F(DocumentStreamTest, UploadAboveQuotaStoresNothing) {
  UpdateTenantRequest update;
  update.mutable_tenant()->set_name(TenantName(kTenant));
  update.mutable_tenant()->mutable_quota()->set_max_document_bytes(250 << 10);
  update.mutable_update_mask()->add_paths("quota.max_document_bytes");
  Tenant updated;
  ASSERT_EQ(server_->tenants()
                .UpdateTenant(TestServer::Context().get(), update, &updated)
                .error_code(),
            grpc::StatusCode::OK);
  const Document within = UploadContent("Within", RandomBytes(200 << 10, 22));
  const std::string content = RandomBytes(300 << 10, 23);
  Document uploaded;

  const grpc::Status status =
      Upload(UploadMessages("Above", content, kChunkBytes, HashIn::kLastMessage,
                            Sha256Of(content)),
             &uploaded);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "the upload has sent "))
      << status.error_message();
  EXPECT_EQ(CountRows("documents"), 1);
  EXPECT_EQ(CountRows("document_chunks"), 4);
  EXPECT_EQ(CountRows("document_uploads"), 0);
  Document created;
  CreateDocumentRequest create;
  create.set_parent(TenantName(kTenant));
  create.mutable_document()->set_title("Also above");
  create.mutable_document()->set_content(RandomBytes(60 << 10, 24));
  EXPECT_EQ(server_->documents()
                .CreateDocument(TestServer::TenantContext(kTenant).get(),
                                create, &created)
                .error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(CountRows("documents"), 1);
  (void)within;
}

TEST_F(DocumentStreamTest, UpdateAboveByteQuotaChangesNothing) {
  UpdateTenantRequest update;
  update.mutable_tenant()->set_name(TenantName(kTenant));
  update.mutable_tenant()->mutable_quota()->set_max_document_bytes(1000);
  update.mutable_update_mask()->add_paths("quota.max_document_bytes");
  Tenant updated;
  ASSERT_EQ(server_->tenants()
                .UpdateTenant(TestServer::Context().get(), update, &updated)
                .error_code(),
            grpc::StatusCode::OK);
  CreateDocumentRequest create;
  create.set_parent(TenantName(kTenant));
  create.mutable_document()->set_title("Small");
  create.mutable_document()->set_content(std::string(500, 'a'));
  const Document small = server_->CreateDocument(kTenant, create.document());
  const auto update_content = [&](const std::string& content) {
    tenantry::v1::UpdateDocumentRequest request;
    request.mutable_document()->set_name(small.name());
    request.mutable_document()->set_content(content);
    request.mutable_update_mask()->add_paths("content");
    Document document;
    return server_->documents().UpdateDocument(
        TestServer::TenantContext(kTenant).get(), request, &document);
  };

  const grpc::Status grown = update_content(std::string(5000, 'b'));
  const grpc::Status shrunk = update_content(std::string(100, 'c'));

  EXPECT_EQ(grown.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << grown.error_message();
  EXPECT_EQ(shrunk.error_code(), grpc::StatusCode::OK)
      << shrunk.error_message();
  GetDocumentRequest get;
  get.set_name(small.name());
  get.set_view(tenantry::v1::BASIC);
  Document stored;
  ASSERT_EQ(
      server_->documents()
          .GetDocument(TestServer::TenantContext(kTenant).get(), get, &stored)
          .error_code(),
      grpc::StatusCode::OK);
  EXPECT_EQ(stored.size_bytes(), 100);
}

TEST_F(DocumentStreamTest, EmptyCreateOverLoweredByteQuotaIsRejected) {
  CreateDocumentRequest create;
  create.set_parent(TenantName(kTenant));
  create.mutable_document()->set_title("Big");
  create.mutable_document()->set_content(std::string(5000, 'a'));
  server_->CreateDocument(kTenant, create.document());
  UpdateTenantRequest update;
  update.mutable_tenant()->set_name(TenantName(kTenant));
  update.mutable_tenant()->mutable_quota()->set_max_document_bytes(1000);
  update.mutable_update_mask()->add_paths("quota.max_document_bytes");
  Tenant updated;
  ASSERT_EQ(server_->tenants()
                .UpdateTenant(TestServer::Context().get(), update, &updated)
                .error_code(),
            grpc::StatusCode::OK);
  create.mutable_document()->set_title("Empty");
  create.mutable_document()->clear_content();
  Document created;

  const grpc::Status status = server_->documents().CreateDocument(
      TestServer::TenantContext(kTenant).get(), create, &created);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << status.error_message();
  EXPECT_EQ(CountRows("documents"), 1);
}

}  // namespace
}  // namespace tenantry::tests
