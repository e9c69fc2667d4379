#include <google/protobuf/empty.pb.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "storage/ids.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::DeleteDocumentRequest;
using tenantry::v1::Document;
using tenantry::v1::DocumentView;
using tenantry::v1::GetDocumentRequest;
using tenantry::v1::ListDocumentsRequest;
using tenantry::v1::ListDocumentsResponse;
using tenantry::v1::Profile;
using tenantry::v1::UpdateDocumentRequest;

constexpr char kTenant[] = "acme";

// Content with a NUL byte and non-UTF-8 bytes, which a bytes field must
// keep unchanged.
const std::string& BinaryContent() {
  static const std::string* const content =
      new std::string("PDF\0\xff\xfe-1.7", 10);
  return *content;
}

Document NewDocument(absl::string_view title, absl::string_view content) {
  Document document;
  document.set_title(std::string(title));
  document.set_content(std::string(content));
  return document;
}

class DocumentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(services::ServerOptions()); }

  void StartServer(const services::ServerOptions& options) {
    server_.reset();
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant(kTenant);
    owner_ = server_->CreateUserWithProfile(kTenant, "ada@example.com");
  }

  grpc::Status CreateDocument(const Document& document, Document* created) {
    CreateDocumentRequest request;
    request.set_parent(TenantName(kTenant));
    *request.mutable_document() = document;
    return server_->documents().CreateDocument(
        TestServer::TenantContext(kTenant).get(), request, created);
  }

  grpc::Status GetDocument(absl::string_view name, DocumentView view,
                           Document* document) {
    GetDocumentRequest request;
    request.set_name(std::string(name));
    request.set_view(view);
    return server_->documents().GetDocument(
        TestServer::TenantContext(kTenant).get(), request, document);
  }

  grpc::Status ListDocuments(const ListDocumentsRequest& request,
                             ListDocumentsResponse* response) {
    return server_->documents().ListDocuments(
        TestServer::TenantContext(kTenant).get(), request, response);
  }

  // Updates the fields of `document` named in `mask_paths`, or the fields
  // set in `document` if `mask_paths` is empty.
  grpc::Status UpdateDocument(const Document& document,
                              const std::vector<std::string>& mask_paths,
                              Document* updated) {
    UpdateDocumentRequest request;
    *request.mutable_document() = document;
    for (const std::string& path : mask_paths) {
      request.mutable_update_mask()->add_paths(path);
    }
    return server_->documents().UpdateDocument(
        TestServer::TenantContext(kTenant).get(), request, updated);
  }

  grpc::Status DeleteDocument(absl::string_view name, absl::string_view etag) {
    DeleteDocumentRequest request;
    request.set_name(std::string(name));
    request.set_etag(std::string(etag));
    google::protobuf::Empty response;
    return server_->documents().DeleteDocument(
        TestServer::TenantContext(kTenant).get(), request, &response);
  }

  std::unique_ptr<TestServer> server_;
  Profile owner_;
};

TEST_F(DocumentServiceTest, CreateDocumentReturnsDocument) {
  Document request = NewDocument("Report", BinaryContent());
  request.set_content_type("application/pdf");
  Document document;

  const grpc::Status status = CreateDocument(request, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  absl::string_view id = document.name();
  EXPECT_TRUE(absl::ConsumePrefix(&id, "tenants/acme/documents/"))
      << document.name();
  EXPECT_TRUE(storage::IsResourceId(id)) << document.name();
  EXPECT_EQ(document.title(), "Report");
  // Create returns the document without the content the caller sent.
  EXPECT_EQ(document.content(), "");
  EXPECT_EQ(document.content_type(), "application/pdf");
  EXPECT_EQ(document.size_bytes(), 10);
  EXPECT_EQ(document.owner(), "");
  EXPECT_FALSE(document.etag().empty());
  EXPECT_GT(document.create_time().seconds(), 0);
}

TEST_F(DocumentServiceTest, CreateDocumentDefaultsContentType) {
  Document document;

  const grpc::Status status =
      CreateDocument(NewDocument("Notes", "text"), &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.content_type(), "application/octet-stream");
}

TEST_F(DocumentServiceTest, CreateDocumentWithoutContentSucceeds) {
  Document document;

  const grpc::Status status =
      CreateDocument(NewDocument("Empty", ""), &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.size_bytes(), 0);
  EXPECT_EQ(document.content(), "");
}

TEST_F(DocumentServiceTest, CreateDocumentWithOwnerReturnsOwner) {
  Document request = NewDocument("Notes", "text");
  request.set_owner(owner_.name());
  Document document;

  const grpc::Status status = CreateDocument(request, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.owner(), owner_.name());
}

TEST_F(DocumentServiceTest, CreateDocumentWithMissingOwnerReturnsNotFound) {
  Document request = NewDocument("Notes", "text");
  request.set_owner(
      absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()));
  Document document;

  const grpc::Status status = CreateDocument(request, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
  ListDocumentsRequest list_request;
  list_request.set_parent(TenantName(kTenant));
  ListDocumentsResponse documents;
  ASSERT_EQ(ListDocuments(list_request, &documents).error_code(),
            grpc::StatusCode::OK);
  EXPECT_EQ(documents.documents_size(), 0);
}

TEST_F(DocumentServiceTest, CreateDocumentWithMalformedOwnerReturnsInvalid) {
  const std::string malformed_owners[] = {
      "ada",
      "users/" + owner_.name().substr(owner_.name().rfind('/') + 1),
      "tenants/acme/profiles/ada",
      absl::StrCat(owner_.name(), "/posts"),
  };
  for (const std::string& owner : malformed_owners) {
    SCOPED_TRACE(absl::StrCat("owner \"", owner, "\""));
    Document request = NewDocument("Notes", "text");
    request.set_owner(owner);
    Document document;

    const grpc::Status status = CreateDocument(request, &document);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(DocumentServiceTest, CreateDocumentWithInvalidFieldReturnsInvalid) {
  struct Case {
    std::string description;
    Document document;
  };
  Document long_content_type = NewDocument("Notes", "text");
  long_content_type.set_content_type(std::string(201, 'c'));
  const Case cases[] = {
      {"empty title", NewDocument("", "text")},
      {"title of 501 bytes", NewDocument(std::string(501, 't'), "text")},
      {"content_type of 201 bytes", long_content_type},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.description);
    Document document;

    const grpc::Status status = CreateDocument(test_case.document, &document);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(DocumentServiceTest, CreateDocumentAboveSizeLimitReturnsInvalid) {
  services::ServerOptions options;
  options.max_document_bytes = 16;
  ASSERT_NO_FATAL_FAILURE(StartServer(options));
  Document at_limit;
  ASSERT_EQ(
      CreateDocument(NewDocument("At limit", std::string(16, 'x')), &at_limit)
          .error_code(),
      grpc::StatusCode::OK);
  Document document;

  const grpc::Status status =
      CreateDocument(NewDocument("Too big", std::string(17, 'x')), &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(DocumentServiceTest, CreateDocumentWithMalformedParentReturnsInvalid) {
  CreateDocumentRequest request;
  request.set_parent("tenants/acme/documents");
  *request.mutable_document() = NewDocument("Notes", "text");
  Document document;

  const grpc::Status status = server_->documents().CreateDocument(
      TestServer::TenantContext(kTenant).get(), request, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(DocumentServiceTest, GetDocumentWithoutViewIncludesContent) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", BinaryContent()));
  Document document;

  const grpc::Status status = GetDocument(
      created.name(), tenantry::v1::DOCUMENT_VIEW_UNSPECIFIED, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.content(), BinaryContent());
  EXPECT_EQ(document.size_bytes(), 10);
}

TEST_F(DocumentServiceTest, GetDocumentFullViewIncludesContent) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", BinaryContent()));
  Document document;

  const grpc::Status status =
      GetDocument(created.name(), tenantry::v1::FULL, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.content(), BinaryContent());
}

TEST_F(DocumentServiceTest, GetDocumentBasicViewOmitsContent) {
  Document request = NewDocument("Report", BinaryContent());
  request.set_owner(owner_.name());
  const Document created = server_->CreateDocument(kTenant, request);
  Document document;

  const grpc::Status status =
      GetDocument(created.name(), tenantry::v1::BASIC, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.content(), "");
  EXPECT_EQ(document.size_bytes(), 10);
  EXPECT_EQ(document.title(), "Report");
  EXPECT_EQ(document.owner(), owner_.name());
  EXPECT_EQ(document.etag(), created.etag());
}

TEST_F(DocumentServiceTest, GetDocumentWithUnknownViewReturnsInvalid) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "text"));
  Document document;

  const grpc::Status status =
      GetDocument(created.name(), static_cast<DocumentView>(3), &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(DocumentServiceTest, GetMissingDocumentReturnsNotFound) {
  Document document;

  const grpc::Status status = GetDocument(
      absl::StrCat("tenants/acme/documents/", storage::NewResourceId()),
      tenantry::v1::FULL, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(DocumentServiceTest, GetDocumentWithMalformedNameReturnsInvalid) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "text"));
  const std::string id = created.name().substr(created.name().rfind('/') + 1);
  const std::string malformed_names[] = {
      "",
      "tenants/acme/documents/",
      "tenants/acme/documents/report",
      absl::StrCat("tenants/acme/profiles/", id),
      absl::StrCat("documents/", id),
      absl::StrCat(created.name(), "/content"),
  };
  for (const std::string& name : malformed_names) {
    SCOPED_TRACE(absl::StrCat("name \"", name, "\""));
    Document document;

    const grpc::Status status =
        GetDocument(name, tenantry::v1::FULL, &document);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(DocumentServiceTest, ListDocumentsOmitsContentByDefault) {
  const Document first =
      server_->CreateDocument(kTenant, NewDocument("First", "one"));
  const Document second =
      server_->CreateDocument(kTenant, NewDocument("Second", "two!"));
  ListDocumentsRequest request;
  request.set_parent(TenantName(kTenant));
  ListDocumentsResponse response;

  const grpc::Status status = ListDocuments(request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.documents_size(), 2);
  EXPECT_EQ(response.documents(0).name(), first.name());
  EXPECT_EQ(response.documents(1).name(), second.name());
  EXPECT_EQ(response.documents(0).content(), "");
  EXPECT_EQ(response.documents(1).content(), "");
  EXPECT_EQ(response.documents(0).size_bytes(), 3);
  EXPECT_EQ(response.documents(1).size_bytes(), 4);
  EXPECT_EQ(response.next_page_token(), "");
}

TEST_F(DocumentServiceTest, ListDocumentsFullViewIncludesContent) {
  server_->CreateDocument(kTenant, NewDocument("Report", BinaryContent()));
  ListDocumentsRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_view(tenantry::v1::FULL);
  ListDocumentsResponse response;

  const grpc::Status status = ListDocuments(request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.documents_size(), 1);
  EXPECT_EQ(response.documents(0).content(), BinaryContent());
}

TEST_F(DocumentServiceTest, ListDocumentsFullViewSplitsLargePages) {
  // Five 1 MiB documents: a FULL page stops before 3 MiB encoded, which
  // two documents and their other fields reach.
  const std::string megabyte(1 << 20, 'x');
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    created.push_back(
        server_->CreateDocument(kTenant, NewDocument("Big", megabyte)).name());
  }
  ListDocumentsRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_view(tenantry::v1::FULL);
  request.set_page_size(10);
  std::vector<std::string> listed;
  std::vector<int> page_sizes;

  for (int pages = 0; pages < 5; ++pages) {
    ListDocumentsResponse response;
    const grpc::Status status = ListDocuments(request, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
        << status.error_message();
    page_sizes.push_back(response.documents_size());
    for (const Document& document : response.documents()) {
      EXPECT_EQ(document.content().size(), megabyte.size());
      listed.push_back(document.name());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }

  EXPECT_EQ(page_sizes, (std::vector<int>{2, 2, 1}));
  EXPECT_EQ(listed, created);
}

TEST_F(DocumentServiceTest, ListDocumentsPagesStayUnderFourMebibytes) {
  // 1000 documents whose content totals under 3 MiB but whose titles,
  // 500 three-byte characters each, push a full page past 4 MiB.
  std::string title;
  for (int i = 0; i < 500; ++i) title += "\xe6\x96\x87";
  const std::string content(2900, 'c');
  for (int i = 0; i < 1000; ++i) {
    server_->CreateDocument(kTenant, NewDocument(title, content));
  }
  ListDocumentsRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_view(tenantry::v1::FULL);
  request.set_page_size(1000);
  int listed = 0;

  for (int pages = 0; pages < 10; ++pages) {
    ListDocumentsResponse response;
    const grpc::Status status = ListDocuments(request, &response);
    ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
        << status.error_message();
    EXPECT_LE(response.ByteSizeLong(), size_t{3} << 20);
    listed += response.documents_size();
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }

  EXPECT_EQ(listed, 1000);
}

TEST_F(DocumentServiceTest, ListDocumentsFiltersByOwner) {
  const Profile other_owner =
      server_->CreateUserWithProfile(kTenant, "bob@example.com");
  Document owned_request = NewDocument("Owned", "text");
  owned_request.set_owner(owner_.name());
  const Document owned = server_->CreateDocument(kTenant, owned_request);
  Document other_request = NewDocument("Other", "text");
  other_request.set_owner(other_owner.name());
  server_->CreateDocument(kTenant, other_request);
  server_->CreateDocument(kTenant, NewDocument("Unowned", "text"));
  ListDocumentsRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_filter(absl::StrCat("owner = \"", owner_.name(), "\""));
  ListDocumentsResponse response;

  const grpc::Status status = ListDocuments(request, &response);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  ASSERT_EQ(response.documents_size(), 1);
  EXPECT_EQ(response.documents(0).name(), owned.name());
}

TEST_F(DocumentServiceTest, ListDocumentsWithMalformedFilterReturnsInvalid) {
  const std::string malformed_filters[] = {
      "owner",
      absl::StrCat("owner = ", owner_.name()),
      "owner = \"ada\"",
      "owner = \"tenants/acme\"",
      "title = \"Report\"",
      absl::StrCat("owner = \"", owner_.name(), "/posts\""),
  };
  for (const std::string& filter : malformed_filters) {
    SCOPED_TRACE(absl::StrCat("filter \"", filter, "\""));
    ListDocumentsRequest request;
    request.set_parent(TenantName(kTenant));
    request.set_filter(filter);
    ListDocumentsResponse response;

    const grpc::Status status = ListDocuments(request, &response);

    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
  }
}

TEST_F(DocumentServiceTest, ListDocumentsWithUnknownViewReturnsInvalid) {
  ListDocumentsRequest request;
  request.set_parent(TenantName(kTenant));
  request.set_view(static_cast<DocumentView>(7));
  ListDocumentsResponse response;

  const grpc::Status status = ListDocuments(request, &response);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(DocumentServiceTest, UpdateDocumentChangesContentAndSize) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "short"));
  Document request;
  request.set_name(created.name());
  request.set_content("a longer body");
  Document document;

  const grpc::Status status = UpdateDocument(request, {}, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.content(), "");
  EXPECT_EQ(document.size_bytes(), 13);
  EXPECT_EQ(document.title(), "Report");
  EXPECT_EQ(document.content_type(), "application/octet-stream");
  EXPECT_NE(document.etag(), created.etag());
  Document stored;
  ASSERT_EQ(
      GetDocument(created.name(), tenantry::v1::FULL, &stored).error_code(),
      grpc::StatusCode::OK);
  EXPECT_EQ(stored.content(), "a longer body");
  EXPECT_EQ(stored.size_bytes(), 13);
}

TEST_F(DocumentServiceTest, UpdateDocumentWithMaskIgnoresFieldsOutsideMask) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));
  Document request;
  request.set_name(created.name());
  request.set_title("Renamed");
  request.set_content("new body");
  request.set_content_type("text/plain");
  Document document;

  const grpc::Status status = UpdateDocument(request, {"title"}, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.title(), "Renamed");
  EXPECT_EQ(document.size_bytes(), 4);
  EXPECT_EQ(document.content_type(), "application/octet-stream");
  Document stored;
  ASSERT_EQ(
      GetDocument(created.name(), tenantry::v1::FULL, &stored).error_code(),
      grpc::StatusCode::OK);
  EXPECT_EQ(stored.content(), "body");
}

TEST_F(DocumentServiceTest, UpdateDocumentSetsAndClearsOwner) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));
  Document set_owner;
  set_owner.set_name(created.name());
  set_owner.set_owner(owner_.name());
  Document owned;
  ASSERT_EQ(UpdateDocument(set_owner, {}, &owned).error_code(),
            grpc::StatusCode::OK);
  ASSERT_EQ(owned.owner(), owner_.name());
  Document clear_owner;
  clear_owner.set_name(created.name());
  Document document;

  const grpc::Status status = UpdateDocument(clear_owner, {"owner"}, &document);

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  EXPECT_EQ(document.owner(), "");
  EXPECT_EQ(document.size_bytes(), 4);
}

TEST_F(DocumentServiceTest, UpdateDocumentWithMissingOwnerReturnsNotFound) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));
  Document request;
  request.set_name(created.name());
  request.set_owner(
      absl::StrCat("tenants/acme/profiles/", storage::NewResourceId()));
  Document document;

  const grpc::Status status = UpdateDocument(request, {}, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(DocumentServiceTest, UpdateDocumentMaskedEmptyTitleReturnsInvalid) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));
  Document request;
  request.set_name(created.name());
  Document document;

  const grpc::Status status = UpdateDocument(request, {"title"}, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(DocumentServiceTest, UpdateDocumentWithUnknownMaskPathReturnsInvalid) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));
  Document request;
  request.set_name(created.name());
  request.set_title("Renamed");
  Document document;

  const grpc::Status status =
      UpdateDocument(request, {"title", "size"}, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(DocumentServiceTest, UpdateDocumentWithCurrentEtagSucceeds) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));
  Document request;
  request.set_name(created.name());
  request.set_etag(created.etag());
  request.set_title("Renamed");
  Document document;

  const grpc::Status status = UpdateDocument(request, {}, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
}

TEST_F(DocumentServiceTest, UpdateDocumentWithStaleEtagReturnsAborted) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));
  Document first;
  first.set_name(created.name());
  first.set_etag(created.etag());
  first.set_title("First");
  Document updated;
  ASSERT_EQ(UpdateDocument(first, {}, &updated).error_code(),
            grpc::StatusCode::OK);
  Document second = first;
  second.set_title("Second");
  Document document;

  const grpc::Status status = UpdateDocument(second, {}, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED)
      << status.error_message();
  Document stored;
  ASSERT_EQ(
      GetDocument(created.name(), tenantry::v1::BASIC, &stored).error_code(),
      grpc::StatusCode::OK);
  EXPECT_EQ(stored.title(), "First");
}

TEST_F(DocumentServiceTest, UpdateMissingDocumentReturnsNotFound) {
  Document request;
  request.set_name(
      absl::StrCat("tenants/acme/documents/", storage::NewResourceId()));
  request.set_title("Renamed");
  Document document;

  const grpc::Status status = UpdateDocument(request, {}, &document);

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

TEST_F(DocumentServiceTest, DeleteDocumentRemovesDocument) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));

  const grpc::Status status = DeleteDocument(created.name(), "");

  ASSERT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
  Document document;
  EXPECT_EQ(
      GetDocument(created.name(), tenantry::v1::FULL, &document).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(DocumentServiceTest, DeleteDocumentWithCurrentEtagSucceeds) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));

  const grpc::Status status = DeleteDocument(created.name(), created.etag());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::OK)
      << status.error_message();
}

TEST_F(DocumentServiceTest, DeleteDocumentWithStaleEtagReturnsAborted) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));
  Document rename;
  rename.set_name(created.name());
  rename.set_title("Renamed");
  Document renamed;
  ASSERT_EQ(UpdateDocument(rename, {}, &renamed).error_code(),
            grpc::StatusCode::OK);

  const grpc::Status status = DeleteDocument(created.name(), created.etag());

  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED)
      << status.error_message();
  Document document;
  EXPECT_EQ(
      GetDocument(created.name(), tenantry::v1::BASIC, &document).error_code(),
      grpc::StatusCode::OK);
}

TEST_F(DocumentServiceTest, DeleteDocumentWithMalformedEtagReturnsInvalid) {
  const Document created =
      server_->CreateDocument(kTenant, NewDocument("Report", "body"));

  const grpc::Status status = DeleteDocument(created.name(), "r0");

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TEST_F(DocumentServiceTest, DeleteMissingDocumentReturnsNotFound) {
  const grpc::Status status = DeleteDocument(
      absl::StrCat("tenants/acme/documents/", storage::NewResourceId()), "");

  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
      << status.error_message();
}

}  // namespace
}  // namespace tenantry::tests
