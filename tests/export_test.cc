// TenantService.ExportTenant through a real server: the streamed bytes
// form the tenant's database with every acknowledged write, the messages
// have the documented shape, and the server's copy is removed after the
// stream, also after a cancelled one.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/migrations.h"
#include "storage/sqlite.h"
#include "storage/tenant_backup.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::Document;
using tenantry::v1::ExportTenantRequest;
using tenantry::v1::ExportTenantResponse;

constexpr char kTenant[] = "acme";
constexpr size_t kMaxChunkBytes = 1 << 20;

struct ExportedFile {
  grpc::Status status;
  int64_t schema_version = 0;
  int64_t size_bytes = 0;
  std::string sha256;
  std::string bytes;
  int data_messages = 0;
  size_t largest_chunk = 0;
  // Set if a message other than the first and last carried metadata, or
  // the first or last carried data.
  std::string shape_error;
};

// Returns the entries of the server's export directory, which contains the
// copies being streamed; empty if it does not exist.
std::vector<std::string> ExportDirectoryEntries(const TestServer& server) {
  std::vector<std::string> entries;
  const std::string directory = server.data_dir() + "/.exports";
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(directory, error)) {
    entries.push_back(entry.path().filename().string());
  }
  return entries;
}

// Returns the single-column results of `sql` on the database at `path`.
std::vector<std::string> Query(const std::string& path,
                               const std::string& sql) {
  std::vector<std::string> rows;
  auto connection = storage::SqliteConnection::Open(
      path, storage::SqliteConnection::Options());
  EXPECT_TRUE(connection.ok()) << connection.status();
  if (!connection.ok()) return rows;
  auto statement = (*connection)->Prepare(sql);
  EXPECT_TRUE(statement.ok()) << statement.status();
  if (!statement.ok()) return rows;
  storage::StatementLease query(*statement);
  while (true) {
    absl::StatusOr<bool> has_row = query->Step();
    EXPECT_TRUE(has_row.ok()) << has_row.status();
    if (!has_row.ok() || !*has_row) break;
    rows.push_back(query->ColumnText(0));
  }
  return rows;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestServer>> server = TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    server_->CreateTenant(kTenant);
    const char* root = std::getenv("TEST_TMPDIR");
    output_dir_ = std::string(root != nullptr ? root : "/tmp");
  }

  grpc::Status CreateDocument(const std::string& title, int64_t bytes,
                              Document* created) {
    CreateDocumentRequest request;
    request.set_parent(TenantName(kTenant));
    request.mutable_document()->set_title(title);
    request.mutable_document()->set_content(std::string(bytes, 'd'));
    return server_->documents().CreateDocument(
        TestServer::TenantContext(kTenant).get(), request, created);
  }

  void AddDocuments(int count, int64_t bytes) {
    for (int i = 0; i < count; ++i) {
      Document created;
      const grpc::Status status =
          CreateDocument(absl::StrCat("filler ", i), bytes, &created);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }

  ExportedFile Export(absl::string_view tenant_id) {
    ExportedFile file;
    auto context = TestServer::Context();
    ExportTenantRequest request;
    request.set_name(TenantName(tenant_id));
    auto reader = server_->tenants().ExportTenant(context.get(), request);
    std::vector<ExportTenantResponse> messages;
    ExportTenantResponse message;
    while (reader->Read(&message)) messages.push_back(message);
    file.status = reader->Finish();
    for (size_t i = 0; i < messages.size(); ++i) {
      const ExportTenantResponse& current = messages[i];
      const bool is_first = i == 0;
      const bool is_last = i + 1 == messages.size();
      if (is_first) {
        file.schema_version = current.schema_version();
        file.size_bytes = current.size_bytes();
      } else if (current.schema_version() != 0 || current.size_bytes() != 0) {
        file.shape_error = absl::StrCat("message ", i, " has metadata");
      }
      if (is_last) {
        file.sha256 = current.sha256();
      } else if (!current.sha256().empty()) {
        file.shape_error = absl::StrCat("message ", i, " has a sha256");
      }
      if ((is_first || is_last) && !current.data().empty()) {
        file.shape_error = absl::StrCat("message ", i, " has data");
      }
      if (!current.data().empty()) {
        ++file.data_messages;
        file.largest_chunk =
            std::max(file.largest_chunk, current.data().size());
        file.bytes += current.data();
      }
    }
    return file;
  }

  // Writes `bytes` to a new file in $TEST_TMPDIR and returns its path.
  std::string WriteFile(const std::string& name, const std::string& bytes) {
    const std::string path = absl::StrCat(output_dir_, "/", name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::unique_ptr<TestServer> server_;
  std::string output_dir_;
};

TEST_F(ExportTest, StreamIsTheTenantDatabase) {
  const tenantry::v1::Profile profile =
      server_->CreateUserWithProfile(kTenant, "ada@example.com");
  // About 3 MiB, so that the file takes several chunks.
  AddDocuments(12, 256 << 10);

  const ExportedFile file = Export(kTenant);

  ASSERT_TRUE(file.status.ok()) << file.status.error_message();
  EXPECT_EQ(file.shape_error, "");
  EXPECT_EQ(file.schema_version, storage::TenantMigrations().back().version);
  EXPECT_EQ(file.size_bytes, static_cast<int64_t>(file.bytes.size()));
  EXPECT_GT(file.data_messages, 2);
  EXPECT_LE(file.largest_chunk, kMaxChunkBytes);
  storage::Sha256Hasher hasher;
  hasher.Update(file.bytes);
  EXPECT_EQ(file.sha256, hasher.HexDigest());

  const std::string path = WriteFile("export.db", file.bytes);
  EXPECT_EQ(Query(path, "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
  const std::string profile_id =
      profile.name().substr(profile.name().rfind('/') + 1);
  EXPECT_EQ(Query(path, "SELECT id FROM profiles"),
            std::vector<std::string>{profile_id});
  EXPECT_EQ(Query(path, "SELECT count(*) FROM documents"),
            std::vector<std::string>{"12"});
  EXPECT_TRUE(ExportDirectoryEntries(*server_).empty());
}

TEST_F(ExportTest, CopyHoldsWritesAcknowledgedBeforeExport) {
  AddDocuments(8, 256 << 10);
  // Two clients create documents until the test stops them, at most 1000 each
  // or 20 seconds, and record each document once the server acknowledged it.
  absl::Mutex mutex;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  std::vector<std::thread> writers;
  for (int writer = 0; writer < 2; ++writer) {
    writers.emplace_back([&, writer] {
      for (int i = 0; i < 1000 && !stop && absl::Now() < give_up; ++i) {
        Document created;
        const grpc::Status status =
            CreateDocument(absl::StrCat("w", writer, "-", i), 2048, &created);
        if (!status.ok()) {
          ++failures;
          continue;
        }
        absl::MutexLock lock(&mutex);
        acknowledged.push_back(
            created.name().substr(created.name().rfind('/') + 1));
      }
    });
  }
  const auto acknowledged_count = [&] {
    absl::MutexLock lock(&mutex);
    return acknowledged.size();
  };
  while (acknowledged_count() < 20 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  std::vector<std::string> before_export;
  {
    absl::MutexLock lock(&mutex);
    before_export = acknowledged;
  }

  const ExportedFile file = Export(kTenant);
  stop = true;
  for (std::thread& writer : writers) writer.join();

  ASSERT_TRUE(file.status.ok()) << file.status.error_message();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_GE(before_export.size(), 20u);
  const std::string path = WriteFile("under_writes.db", file.bytes);
  EXPECT_EQ(Query(path, "PRAGMA integrity_check"),
            std::vector<std::string>{"ok"});
  const std::vector<std::string> ids = Query(path, "SELECT id FROM documents");
  const std::set<std::string> in_copy(ids.begin(), ids.end());
  for (const std::string& id : before_export) {
    EXPECT_TRUE(in_copy.count(id)) << id << " was acknowledged before export";
  }
  EXPECT_TRUE(ExportDirectoryEntries(*server_).empty());
}

TEST_F(ExportTest, CancelledExportRemovesCopy) {
  // 48 MiB written straight into the tenant's file, far more than gRPC
  // buffers for a client that stops reading, so the handler blocks in the
  // middle of the stream.
  {
    auto connection = storage::SqliteConnection::Open(
        server_->data_dir() + "/tenants/acme.db",
        storage::SqliteConnection::Options());
    ASSERT_TRUE(connection.ok()) << connection.status();
    auto statement =
        (*connection)
            ->Prepare(
                "INSERT INTO documents (id, title, content, content_type, "
                "size_bytes, "
                "create_time, update_time, revision) VALUES (?, 'bulk', ?, "
                "'application/octet-stream', ?, 0, 0, 1)");
    ASSERT_TRUE(statement.ok()) << statement.status();
    const std::string content(1 << 20, 'b');
    ASSERT_TRUE((*connection)->ExecuteScript("BEGIN").ok());
    for (int i = 0; i < 48; ++i) {
      storage::StatementLease insert(*statement);
      insert->BindAll(absl::StrCat("bulk", i), storage::Blob{content},
                      static_cast<int64_t>(content.size()));
      ASSERT_TRUE(insert->Execute().ok());
    }
    ASSERT_TRUE((*connection)->ExecuteScript("COMMIT").ok());
  }
  grpc::ClientContext context;
  // Longer than the waits below, so that the deadline cannot be what ends
  // the handler.
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  ExportTenantRequest request;
  request.set_name(TenantName(kTenant));
  auto reader = server_->tenants().ExportTenant(&context, request);
  ExportTenantResponse first;
  ASSERT_TRUE(reader->Read(&first));
  ASSERT_GT(first.size_bytes(), 48 << 20);
  // The copy is still there while the handler waits for the client.
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(ExportDirectoryEntries(*server_).size(), 1u);

  context.TryCancel();
  ExportTenantResponse rest;
  while (reader->Read(&rest)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);

  // The handler's blocked write fails once the cancellation arrives; wait
  // for the cleanup at most 5 seconds.
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (!ExportDirectoryEntries(*server_).empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(ExportDirectoryEntries(*server_).empty());

  // The tenant still exports after a cancelled export.
  const ExportedFile file = Export(kTenant);
  EXPECT_TRUE(file.status.ok()) << file.status.error_message();
  EXPECT_TRUE(ExportDirectoryEntries(*server_).empty());
}

TEST_F(ExportTest, BadNamesAreRejected) {
  const ExportedFile unknown = Export("nobody");
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(absl::StrContains(unknown.status.error_message(), "nobody"))
      << unknown.status.error_message();

  auto context = TestServer::Context();
  ExportTenantRequest request;
  request.set_name("tenants/../etc");
  auto reader = server_->tenants().ExportTenant(context.get(), request);
  ExportTenantResponse message;
  EXPECT_FALSE(reader->Read(&message));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(ExportDirectoryEntries(*server_).empty());
}

TEST(ExportAuthTest, OnlyTheAdminKeyMayExport) {
  constexpr char kAdminKey[] = "export-test-admin-key-0123456789";
  services::ServerOptions options;
  options.admin_key = kAdminKey;
  auto server = TestServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string admin = absl::StrCat("Bearer ", kAdminKey);
  std::string tenant_key;
  {
    auto context = TestServer::Context();
    context->AddMetadata("authorization", admin);
    tenantry::v1::CreateTenantRequest request;
    request.set_tenant_id(kTenant);
    request.mutable_tenant()->set_display_name("Acme");
    tenantry::v1::Tenant tenant;
    ASSERT_TRUE((*server)
                    ->tenants()
                    .CreateTenant(context.get(), request, &tenant)
                    .ok());
  }
  {
    auto context = TestServer::Context();
    context->AddMetadata("authorization", admin);
    tenantry::v1::CreateApiKeyRequest request;
    request.set_parent(TenantName(kTenant));
    request.mutable_api_key()->set_display_name("reporting");
    tenantry::v1::ApiKey key;
    ASSERT_TRUE(
        (*server)->tenants().CreateApiKey(context.get(), request, &key).ok());
    tenant_key = key.key();
  }
  const auto export_with = [&](const std::string& authorization) {
    auto context = TestServer::TenantContext(kTenant);
    if (!authorization.empty()) {
      context->AddMetadata("authorization", authorization);
    }
    ExportTenantRequest request;
    request.set_name(TenantName(kTenant));
    auto reader = (*server)->tenants().ExportTenant(context.get(), request);
    ExportTenantResponse message;
    while (reader->Read(&message)) {
    }
    return reader->Finish().error_code();
  };

  EXPECT_EQ(export_with(""), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(export_with(absl::StrCat("Bearer ", tenant_key)),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(export_with(admin), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace tenantry::tests
