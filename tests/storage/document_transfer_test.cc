// Chunked document content on a real tenant database file: downloads that
// meet a delete or a replace, uploads left by another process, rows from
// before tenant migration 0004, and that migration's down file.

#include "storage/document_transfer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/document_content.h"
#include "storage/document_store.h"
#include "storage/sqlite.h"
#include "storage/tenant_database.h"
#include "tests/storage/temp_dir.h"

namespace tenantry::storage {
namespace {

constexpr char kTenant[] = "acme";

// Content above 1 KiB is chunked, 4 KiB per chunk.
DocumentContentOptions SmallChunks() {
  DocumentContentOptions options;
  options.inline_max_bytes = 1 << 10;
  options.chunk_bytes = 4 << 10;
  return options;
}

std::string Pattern(size_t size, char seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>(seed + i * 7 + (i >> 8));
  }
  return bytes;
}

class DocumentTransferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateTenantDatabaseFile(directory_.path(), kTenant).ok());
    absl::StatusOr<std::unique_ptr<TenantDatabase>> database =
        TenantDatabase::Open(kTenant, path(), SqliteConnection::Options());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
  }

  std::string path() const {
    return TenantDatabasePath(directory_.path(), kTenant);
  }

  DocumentStore Store() {
    return DocumentStore(database_.get(), SmallChunks());
  }

  DocumentRecord CreateDocument(absl::string_view content) {
    DocumentRecord document;
    document.title = "Report";
    document.content_type = "application/pdf";
    document.content = std::string(content);
    absl::StatusOr<DocumentRecord> created = Store().Create(document);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : DocumentRecord();
  }

  // Runs `sql` on a connection of its own and returns the first column of
  // its first row as text, or "" when there is no row.
  std::string QueryText(absl::string_view sql) {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
        SqliteConnection::Open(path(), SqliteConnection::Options());
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return "";
    absl::StatusOr<SqliteStatement*> statement = (*connection)->Prepare(sql);
    EXPECT_TRUE(statement.ok()) << statement.status();
    if (!statement.ok()) return "";
    StatementLease query(*statement);
    absl::StatusOr<bool> has_row = query->Step();
    EXPECT_TRUE(has_row.ok()) << has_row.status();
    if (!has_row.ok() || !*has_row) return "";
    return query->ColumnText(0);
  }

  void Execute(absl::string_view sql) {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
        SqliteConnection::Open(path(), SqliteConnection::Options());
    ASSERT_TRUE(connection.ok()) << connection.status();
    const absl::Status status = (*connection)->ExecuteScript(sql);
    ASSERT_TRUE(status.ok()) << status;
  }

  // Reads the rest of `download` and returns its content.
  absl::StatusOr<std::string> ReadRest(DocumentDownload& download) {
    std::string content;
    while (true) {
      absl::StatusOr<std::optional<std::string>> piece = download.Next();
      if (!piece.ok()) return piece.status();
      if (!piece->has_value()) return content;
      content += **piece;
    }
  }

  testing::TempDir directory_;
  std::unique_ptr<TenantDatabase> database_;
};

TEST_F(DocumentTransferTest, DownloadReadsEveryChunk) {
  const std::string content = Pattern(18 << 10, 'a');
  const DocumentRecord created = CreateDocument(content);
  ASSERT_EQ(QueryText("SELECT count(*) FROM document_chunks"), "5");
  absl::StatusOr<std::unique_ptr<DocumentDownload>> download =
      DocumentDownload::Open(database_.get(), created.id);
  ASSERT_TRUE(download.ok()) << download.status();

  const absl::StatusOr<std::string> read = ReadRest(**download);

  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read == content);
  EXPECT_EQ((*download)->document().size_bytes, 18 << 10);
  EXPECT_EQ((*download)->document().sha256, Sha256Hex(content));
}

TEST_F(DocumentTransferTest, DownloadOfDeletedDocumentFailsNotFound) {
  const DocumentRecord created = CreateDocument(Pattern(18 << 10, 'b'));
  absl::StatusOr<std::unique_ptr<DocumentDownload>> download =
      DocumentDownload::Open(database_.get(), created.id);
  ASSERT_TRUE(download.ok()) << download.status();
  ASSERT_TRUE((*download)->Next().ok());
  ASSERT_TRUE(Store().Delete(created.id, std::nullopt).ok());

  const absl::StatusOr<std::optional<std::string>> next = (*download)->Next();

  EXPECT_TRUE(absl::IsNotFound(next.status())) << next.status();
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_chunks"), "0");
}

TEST_F(DocumentTransferTest, DownloadOfReplacedContentFailsAborted) {
  const DocumentRecord created = CreateDocument(Pattern(18 << 10, 'c'));
  absl::StatusOr<std::unique_ptr<DocumentDownload>> download =
      DocumentDownload::Open(database_.get(), created.id);
  ASSERT_TRUE(download.ok()) << download.status();
  ASSERT_TRUE((*download)->Next().ok());
  ASSERT_TRUE(Store()
                  .Update(
                      created.id,
                      [](DocumentRecord&) { return absl::OkStatus(); },
                      Pattern(12 << 10, 'd'))
                  .ok());

  const absl::StatusOr<std::optional<std::string>> next = (*download)->Next();

  EXPECT_TRUE(absl::IsAborted(next.status())) << next.status();
  // Only the new content's 3 chunks remain.
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_chunks"), "3");
}

TEST_F(DocumentTransferTest, DownloadContinuesAfterTitleChange) {
  const std::string content = Pattern(18 << 10, 'e');
  const DocumentRecord created = CreateDocument(content);
  absl::StatusOr<std::unique_ptr<DocumentDownload>> download =
      DocumentDownload::Open(database_.get(), created.id);
  ASSERT_TRUE(download.ok()) << download.status();
  absl::StatusOr<std::optional<std::string>> first = (*download)->Next();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(Store()
                  .Update(created.id,
                          [](DocumentRecord& document) {
                            document.title = "Renamed";
                            return absl::OkStatus();
                          })
                  .ok());

  const absl::StatusOr<std::string> rest = ReadRest(**download);

  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_TRUE(**first + *rest == content);
}

TEST_F(DocumentTransferTest, DownloadOfCorruptChunkFailsDataLoss) {
  const DocumentRecord created = CreateDocument(Pattern(18 << 10, 'f'));
  Execute("UPDATE document_chunks SET data = zeroblob(4096) WHERE seq = 1");
  absl::StatusOr<std::unique_ptr<DocumentDownload>> download =
      DocumentDownload::Open(database_.get(), created.id);
  ASSERT_TRUE(download.ok()) << download.status();

  const absl::StatusOr<std::string> read = ReadRest(**download);

  EXPECT_TRUE(absl::IsDataLoss(read.status())) << read.status();
}

TEST_F(DocumentTransferTest, UploadCommitsChunksAndDocument) {
  const std::string content = Pattern(10 << 10, 'g');
  DocumentUpload upload(database_.get(), SmallChunks(), TenantQuota());
  for (size_t offset = 0; offset < content.size(); offset += 1000) {
    ASSERT_TRUE(
        upload.Append(absl::string_view(content).substr(offset, 1000)).ok());
  }
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_chunks"), "2");
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_uploads"), "1");
  EXPECT_EQ(upload.FinishContent(), Sha256Hex(content));
  DocumentRecord document;
  document.title = "Uploaded";
  document.content_type = "text/plain";

  const absl::StatusOr<DocumentRecord> created =
      upload.Commit(document, CreateOptions());

  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->size_bytes, 10 << 10);
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_chunks"), "3");
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_uploads"), "0");
  absl::StatusOr<DocumentRecord> stored =
      Store().Get(created->id, ContentRead{true});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_TRUE(stored->content == content);
}

TEST_F(DocumentTransferTest, UploadWithoutCommitLeavesNothing) {
  {
    DocumentUpload upload(database_.get(), SmallChunks(), TenantQuota());
    ASSERT_TRUE(upload.Append(Pattern(10 << 10, 'h')).ok());
    ASSERT_EQ(QueryText("SELECT count(*) FROM document_chunks"), "2");
  }

  EXPECT_EQ(QueryText("SELECT count(*) FROM document_chunks"), "0");
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_uploads"), "0");
}

TEST_F(DocumentTransferTest, RemoveAbandonedUploadsKeepsThisProcesses) {
  DocumentUpload own(database_.get(), SmallChunks(), TenantQuota());
  ASSERT_TRUE(own.Append(Pattern(10 << 10, 'i')).ok());
  // What a crashed server process leaves: a registered upload and chunks.
  Execute(
      "INSERT INTO document_uploads (blob_id, server_instance, create_time) "
      "VALUES ('gone-blob', 'gone-process', 0);"
      "INSERT INTO document_chunks (blob_id, seq, data) VALUES "
      "('gone-blob', 0, x'00'), ('gone-blob', 1, x'01');");

  const absl::StatusOr<int> removed = RemoveAbandonedUploads(*database_);

  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_chunks"), "2");
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_uploads"), "1");
  EXPECT_EQ(QueryText("SELECT count(*) FROM document_chunks WHERE blob_id = "
                      "'gone-blob'"),
            "0");
  const absl::StatusOr<int> again = RemoveAbandonedUploads(*database_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0);
}

TEST_F(DocumentTransferTest, RowWithoutSha256GetsItOnRead) {
  // A row as tenant migration 0004 leaves one written before it.
  Execute(
      "INSERT INTO documents (id, title, content, content_type, size_bytes, "
      "create_time, update_time, revision) VALUES ('old', 'Old', x'616263', "
      "'text/plain', 3, 0, 0, 1)");
  const std::string expected = Sha256Hex("abc");

  const absl::StatusOr<DocumentRecord> basic = Store().Get("old", false);
  const absl::StatusOr<DocumentRecord> full = Store().Get("old", true);
  const absl::StatusOr<Page<DocumentRecord>> listed =
      Store().List(std::nullopt, PageRequest(), false);

  ASSERT_TRUE(basic.ok()) << basic.status();
  EXPECT_EQ(basic->sha256, expected);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->sha256, expected);
  EXPECT_EQ(full->content, "abc");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].sha256, expected);
  EXPECT_EQ(QueryText("SELECT sha256 FROM documents WHERE id = 'old'"), "");
  // Any update stores it.
  ASSERT_TRUE(Store()
                  .Update("old",
                          [](DocumentRecord& document) {
                            document.title = "Renamed";
                            return absl::OkStatus();
                          })
                  .ok());
  EXPECT_EQ(QueryText("SELECT sha256 FROM documents WHERE id = 'old'"),
            expected);
}

TEST_F(DocumentTransferTest, DownMigrationMovesChunksIntoRows) {
  const std::string content = Pattern(18 << 10, 'j');
  const DocumentRecord chunked = CreateDocument(content);
  const DocumentRecord small = CreateDocument("tiny");
  database_.reset();
  std::ifstream file("migrations/tenant/0004_add_document_content.down.sql");
  ASSERT_TRUE(file.is_open());
  std::stringstream down;
  down << file.rdbuf();

  Execute(absl::StrCat("BEGIN;", down.str(), "COMMIT;"));

  EXPECT_EQ(QueryText(absl::StrCat("SELECT hex(content) FROM documents "
                                   "WHERE id = '",
                                   chunked.id, "'")),
            absl::AsciiStrToUpper(absl::BytesToHexString(content)));
  EXPECT_EQ(QueryText(absl::StrCat("SELECT content FROM documents WHERE id = '",
                                   small.id, "'")),
            "tiny");
  EXPECT_EQ(QueryText("SELECT count(*) FROM sqlite_schema WHERE name IN "
                      "('document_chunks', 'document_uploads')"),
            "0");
  EXPECT_EQ(QueryText("SELECT count(*) FROM pragma_table_info('documents') "
                      "WHERE name IN ('sha256', 'content_blob_id')"),
            "0");
}

}  // namespace
}  // namespace tenantry::storage
