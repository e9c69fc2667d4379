// Tests of a call's life in a running server: deadlines and cancellation
// while the call waits for its tenant's database, graceful stop, and
// tenant creates and deletes that fail halfway. Each test starts a
// TenantryServer on 127.0.0.1 with SQLite files in a new directory, and
// reaches into its tenant registry to hold a tenant's lock.

#include <google/protobuf/empty.pb.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/server.h"
#include "storage/sqlite.h"
#include "storage/status_macros.h"
#include "storage/tenant_database.h"
#include "tests/storage/temp_dir.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::CreateTenantRequest;
using tenantry::v1::DeleteTenantRequest;
using tenantry::v1::Document;
using tenantry::v1::DocumentService;
using tenantry::v1::GetTenantRequest;
using tenantry::v1::ListTenantsRequest;
using tenantry::v1::ListTenantsResponse;
using tenantry::v1::Tenant;
using tenantry::v1::TenantService;

constexpr char kTenant[] = "acme";

// How long a test thread holds a lock at most, so that a test that fails
// before it releases the lock still ends within Bazel's timeout.
constexpr absl::Duration kMaxHold = absl::Seconds(20);

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

// A thread that is joined on destruction, so that a failed ASSERT does not
// leave it running.
class JoiningThread {
 public:
  explicit JoiningThread(std::function<void()> body)
      : thread_(std::move(body)) {}
  ~JoiningThread() { join(); }

  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

// Takes a tenant database's lock from a test thread by running a body that
// blocks until Release() or destruction, or for kMaxHold at most.
class LockHolder {
 public:
  explicit LockHolder(std::shared_ptr<storage::TenantDatabase> database)
      : database_(std::move(database)) {
    thread_ = std::thread([this] {
      database_
          ->Run([this](storage::SqliteConnection&) {
            held_.Notify();
            release_.WaitForNotificationWithTimeout(kMaxHold);
            return absl::OkStatus();
          })
          .IgnoreError();
    });
    held_.WaitForNotification();
  }

  ~LockHolder() { Release(); }

  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::shared_ptr<storage::TenantDatabase> database_;
  absl::Notification held_;
  absl::Notification release_;
  std::thread thread_;
};

// Runs TenantryServer::Shutdown(grace) on a thread of its own.
class BackgroundShutdown {
 public:
  BackgroundShutdown(services::TenantryServer* server, absl::Duration grace)
      : start_(absl::Now()) {
    thread_ = std::thread([this, server, grace] {
      server->Shutdown(grace);
      elapsed_ = absl::Now() - start_;
      done_.Notify();
    });
  }

  ~BackgroundShutdown() { thread_.join(); }

  // Waits up to `timeout` for Shutdown to return and returns whether it
  // did.
  bool WaitFor(absl::Duration timeout) {
    return done_.WaitForNotificationWithTimeout(timeout);
  }

  bool done() const { return done_.HasBeenNotified(); }

  // How long Shutdown took; valid once done() is true.
  absl::Duration elapsed() const { return elapsed_; }

 private:
  const absl::Time start_;
  absl::Duration elapsed_;
  absl::Notification done_;
  std::thread thread_;
};

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    services::ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.data_dir = data_dir();
    options.access_log = false;
    options.allow_unauthenticated = true;
    absl::StatusOr<std::unique_ptr<services::TenantryServer>> server =
        services::TenantryServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    tenant_stub_ = TenantService::NewStub(channel_);
    document_stub_ = DocumentService::NewStub(channel_);
  }

  void TearDown() override {
    document_stub_.reset();
    tenant_stub_.reset();
    channel_.reset();
    server_.reset();
  }

  std::string data_dir() const { return directory_.path() + "/data"; }

  std::string tenants_dir() const { return data_dir() + "/tenants"; }

  grpc::Status CreateTenant(absl::string_view tenant_id) {
    CreateTenantRequest request;
    request.set_tenant_id(std::string(tenant_id));
    request.mutable_tenant()->set_display_name("Acme");
    Tenant tenant;
    return tenant_stub_->CreateTenant(TestServer::Context().get(), request,
                                      &tenant);
  }

  grpc::Status GetTenant(absl::string_view tenant_id,
                         absl::Duration timeout = absl::Seconds(10)) {
    GetTenantRequest request;
    request.set_name(TenantName(tenant_id));
    Tenant tenant;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return tenant_stub_->GetTenant(&context, request, &tenant);
  }

  // Removes the tenant and its files at once (force=true).
  grpc::Status DeleteTenant(absl::string_view tenant_id) {
    DeleteTenantRequest request;
    request.set_name(TenantName(tenant_id));
    request.set_force(true);
    tenantry::v1::Tenant deleted;
    return tenant_stub_->DeleteTenant(TestServer::Context().get(), request,
                                      &deleted);
  }

  // Creates a document titled `title` in kTenant with the given deadline.
  grpc::Status CreateDocument(absl::string_view title, absl::Duration timeout,
                              Document* created) {
    CreateDocumentRequest request;
    request.set_parent(TenantName(kTenant));
    request.mutable_document()->set_title(std::string(title));
    request.mutable_document()->set_content("content");
    grpc::ClientContext context;
    context.AddMetadata("x-tenant-id", kTenant);
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return document_stub_->CreateDocument(&context, request, created);
  }

  std::shared_ptr<storage::TenantDatabase> OpenDatabase() {
    absl::StatusOr<std::shared_ptr<storage::TenantDatabase>> database =
        server_->tenants().OpenDatabase(kTenant);
    EXPECT_TRUE(database.ok()) << database.status();
    return database.ok() ? *database : nullptr;
  }

  // Counts the documents of kTenant straight from its database file.
  absl::StatusOr<int64_t> CountDocuments() {
    TENANTRY_ASSIGN_OR_RETURN(std::shared_ptr<storage::TenantDatabase> database,
                              server_->tenants().OpenDatabase(kTenant));
    return database->Run(
        [](storage::SqliteConnection& connection) -> absl::StatusOr<int64_t> {
          TENANTRY_ASSIGN_OR_RETURN(
              storage::SqliteStatement * statement,
              connection.Prepare("SELECT COUNT(*) FROM documents"));
          storage::StatementLease count(statement);
          TENANTRY_ASSIGN_OR_RETURN(const bool has_row, count->Step());
          if (!has_row) return absl::InternalError("COUNT(*) returned no row");
          return count->ColumnInt(0);
        });
  }

  // Waits up to 10 seconds until the tenant cache has served `hits` hits,
  // and returns whether it has. Every tenant-scoped call gets its database
  // from the cache right before it takes the database's lock, so a new hit
  // shows that a call has entered its handler.
  bool WaitForCacheHits(int64_t hits) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    while (server_->tenants().cache()->stats().hits < hits) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return true;
  }

  // Sends GetTenant calls, at most 200, until one fails, and returns the
  // status of the last call. Calls before the stop return OK.
  grpc::Status CallUntilUnavailable() {
    grpc::Status status;
    for (int attempt = 0; attempt < 200; ++attempt) {
      status = GetTenant(kTenant, absl::Seconds(2));
      if (!status.ok()) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return status;
  }

  // Lists the entries of the tenants directory whose names start with
  // kTenant.
  std::vector<std::string> TenantFiles() {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(tenants_dir(), error)) {
      const std::string name = entry.path().filename().string();
      if (absl::StartsWith(name, kTenant)) names.push_back(name);
    }
    return names;
  }

  // Declared first so that the directory is removed after the server stops.
  testing::TempDir directory_;
  std::unique_ptr<services::TenantryServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TenantService::Stub> tenant_stub_;
  std::unique_ptr<DocumentService::Stub> document_stub_;
};

// Deadlines and cancellation.

TEST_F(LifecycleTest, DeadlineWhileWaitingForTenantLockStopsCall) {
  ASSERT_TRUE(CreateTenant(kTenant).ok());
  LockHolder holder(OpenDatabase());

  Document created;
  const grpc::Status status =
      CreateDocument("late", absl::Milliseconds(300), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << Describe(status);

  // Shutdown waits for every handler to return. The handler must return
  // on its own while the lock is still held.
  BackgroundShutdown shutdown(server_.get(), absl::Seconds(30));
  EXPECT_TRUE(shutdown.WaitFor(absl::Seconds(10)))
      << "the call's handler kept waiting for the tenant lock after its "
         "deadline";
  holder.Release();
  ASSERT_TRUE(shutdown.WaitFor(kMaxHold));

  const absl::StatusOr<int64_t> documents = CountDocuments();
  ASSERT_TRUE(documents.ok()) << documents.status();
  EXPECT_EQ(*documents, 0) << "the call wrote after its deadline";
}

TEST_F(LifecycleTest, DeadlineWhileSqliteIsLockedStopsCall) {
  ASSERT_TRUE(CreateTenant(kTenant).ok());
  // Another connection to the file, as tenantctl would open, takes
  // SQLite's write lock.
  absl::StatusOr<std::unique_ptr<storage::SqliteConnection>> other =
      storage::SqliteConnection::Open(
          storage::TenantDatabasePath(data_dir(), kTenant),
          storage::SqliteConnection::Options());
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->ExecuteScript("BEGIN IMMEDIATE").ok());

  Document created;
  const grpc::Status status =
      CreateDocument("late", absl::Milliseconds(300), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << Describe(status);

  // With SQLite's default busy timeout of 5 seconds, the call would still
  // wait a second later and then write. A wait bounded by the deadline has
  // given up by then.
  absl::SleepFor(absl::Seconds(1));
  ASSERT_TRUE((*other)->ExecuteScript("ROLLBACK").ok());
  server_->Shutdown(absl::Seconds(30));

  const absl::StatusOr<int64_t> documents = CountDocuments();
  ASSERT_TRUE(documents.ok()) << documents.status();
  EXPECT_EQ(*documents, 0) << "the call wrote after its deadline";
}

TEST_F(LifecycleTest, CallWithinDeadlineWritesAfterLockIsReleased) {
  ASSERT_TRUE(CreateTenant(kTenant).ok());
  LockHolder holder(OpenDatabase());
  const int64_t hits_before = server_->tenants().cache()->stats().hits;

  grpc::Status status;
  Document created;
  JoiningThread caller(
      [&] { status = CreateDocument("patient", absl::Seconds(30), &created); });
  ASSERT_TRUE(WaitForCacheHits(hits_before + 1));
  holder.Release();
  caller.join();

  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(created.title(), "patient");
  const absl::StatusOr<int64_t> documents = CountDocuments();
  ASSERT_TRUE(documents.ok()) << documents.status();
  EXPECT_EQ(*documents, 1);
}

// Graceful stop.

TEST_F(LifecycleTest, ShutdownLetsCallInFlightFinish) {
  ASSERT_TRUE(CreateTenant(kTenant).ok());
  LockHolder holder(OpenDatabase());
  const int64_t hits_before = server_->tenants().cache()->stats().hits;
  grpc::Status in_flight_status;
  Document created;
  JoiningThread caller([&] {
    in_flight_status = CreateDocument("in flight", absl::Seconds(30), &created);
  });
  ASSERT_TRUE(WaitForCacheHits(hits_before + 1));

  BackgroundShutdown shutdown(server_.get(), absl::Seconds(30));
  const grpc::Status rejected = CallUntilUnavailable();
  EXPECT_EQ(rejected.error_code(), grpc::StatusCode::UNAVAILABLE)
      << Describe(rejected);
  // The held lock keeps the call in flight, and the stop waits for it.
  EXPECT_FALSE(shutdown.done());

  holder.Release();
  caller.join();
  EXPECT_TRUE(in_flight_status.ok()) << Describe(in_flight_status);
  EXPECT_EQ(created.title(), "in flight");
  EXPECT_TRUE(shutdown.WaitFor(absl::Seconds(10)));
  const absl::StatusOr<int64_t> documents = CountDocuments();
  ASSERT_TRUE(documents.ok()) << documents.status();
  EXPECT_EQ(*documents, 1);
}

TEST_F(LifecycleTest, ShutdownCancelsCallStillWaitingAfterGrace) {
  ASSERT_TRUE(CreateTenant(kTenant).ok());
  LockHolder holder(OpenDatabase());
  const int64_t hits_before = server_->tenants().cache()->stats().hits;
  grpc::Status in_flight_status;
  Document created;
  JoiningThread caller([&] {
    in_flight_status = CreateDocument("stuck", absl::Seconds(30), &created);
  });
  ASSERT_TRUE(WaitForCacheHits(hits_before + 1));

  const absl::Duration grace = absl::Seconds(1);
  BackgroundShutdown shutdown(server_.get(), grace);
  // The lock stays held: only cancelling the call ends it.
  EXPECT_TRUE(shutdown.WaitFor(grace + absl::Seconds(5)))
      << "Shutdown waited for a call that its grace period had cancelled";
  if (shutdown.done()) {
    EXPECT_GE(shutdown.elapsed(), grace);
  }
  holder.Release();
  caller.join();

  EXPECT_FALSE(in_flight_status.ok());
  EXPECT_NE(in_flight_status.error_code(), grpc::StatusCode::INTERNAL)
      << Describe(in_flight_status);
  ASSERT_TRUE(shutdown.WaitFor(kMaxHold));
  const absl::StatusOr<int64_t> documents = CountDocuments();
  ASSERT_TRUE(documents.ok()) << documents.status();
  EXPECT_EQ(*documents, 0) << "the cancelled call wrote";
}

// Tenant creates and deletes that fail halfway.

struct BlockedPathCase {
  const char* name;
  // Puts something at <data_dir>/tenants that is not a writable directory.
  void (*block)(const std::string& tenants_dir);
};

void PrintTo(const BlockedPathCase& blocked_path, std::ostream* os) {
  *os << blocked_path.name;
}

class CreateTenantBlockedTest
    : public LifecycleTest,
      public ::testing::WithParamInterface<BlockedPathCase> {};

TEST_P(CreateTenantBlockedTest, FailsWithoutRowAndRetrySucceeds) {
  // Root ignores permission bits, so these block the directory in ways
  // that also stop root.
  GetParam().block(tenants_dir());

  const grpc::Status failed = CreateTenant(kTenant);

  EXPECT_EQ(failed.error_code(), grpc::StatusCode::INTERNAL)
      << Describe(failed);
  EXPECT_TRUE(absl::StrContains(failed.error_message(), "tenants"))
      << Describe(failed);
  EXPECT_EQ(GetTenant(kTenant).error_code(), grpc::StatusCode::NOT_FOUND);
  ListTenantsResponse listed;
  ASSERT_TRUE(tenant_stub_
                  ->ListTenants(TestServer::Context().get(),
                                ListTenantsRequest(), &listed)
                  .ok());
  EXPECT_EQ(listed.tenants_size(), 0);

  std::filesystem::remove(tenants_dir());
  const grpc::Status retried = CreateTenant(kTenant);
  EXPECT_TRUE(retried.ok()) << Describe(retried);
  EXPECT_TRUE(GetTenant(kTenant).ok());
}

INSTANTIATE_TEST_SUITE_P(
    Blocks, CreateTenantBlockedTest,
    ::testing::Values(BlockedPathCase{"RegularFile",
                                      [](const std::string& tenants_dir) {
                                        std::ofstream(tenants_dir)
                                            << "not a directory";
                                      }},
                      BlockedPathCase{"SymlinkToItself",
                                      [](const std::string& tenants_dir) {
                                        ASSERT_EQ(symlink("tenants",
                                                          tenants_dir.c_str()),
                                                  0);
                                      }}),
    [](const ::testing::TestParamInfo<BlockedPathCase>& info) {
      return std::string(info.param.name);
    });

struct DeleteBlockCase {
  const char* name;
  // The file of the tenant that is replaced by a non-empty directory.
  const char* blocked_file;
};

void PrintTo(const DeleteBlockCase& block, std::ostream* os) {
  *os << block.name;
}

class DeleteTenantBlockedTest
    : public LifecycleTest,
      public ::testing::WithParamInterface<DeleteBlockCase> {};

TEST_P(DeleteTenantBlockedTest, FailureKeepsRowAndRetryFinishes) {
  ASSERT_TRUE(CreateTenant(kTenant).ok());
  const std::string blocked =
      absl::StrCat(tenants_dir(), "/", GetParam().blocked_file);
  std::filesystem::remove(blocked);
  std::filesystem::create_directory(blocked);
  std::ofstream(blocked + "/keep") << "unlink cannot remove a directory";

  const grpc::Status failed = DeleteTenant(kTenant);

  EXPECT_EQ(failed.error_code(), grpc::StatusCode::INTERNAL)
      << Describe(failed);
  EXPECT_TRUE(
      absl::StrContains(failed.error_message(), GetParam().blocked_file))
      << Describe(failed);
  EXPECT_TRUE(absl::StrContains(failed.error_message(), "DeleteTenant"))
      << "the message should say to retry: " << Describe(failed);
  const grpc::Status still_there = GetTenant(kTenant);
  EXPECT_TRUE(still_there.ok()) << Describe(still_there);

  std::filesystem::remove_all(blocked);
  const grpc::Status retried = DeleteTenant(kTenant);
  EXPECT_TRUE(retried.ok()) << Describe(retried);
  EXPECT_EQ(GetTenant(kTenant).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(TenantFiles().empty());
  // No file of the old tenant blocks a new one.
  const grpc::Status recreated = CreateTenant(kTenant);
  EXPECT_TRUE(recreated.ok()) << Describe(recreated);
}

INSTANTIATE_TEST_SUITE_P(
    Blocks, DeleteTenantBlockedTest,
    ::testing::Values(DeleteBlockCase{"MainFile", "acme.db"},
                      DeleteBlockCase{"WalFile", "acme.db-wal"}),
    [](const ::testing::TestParamInfo<DeleteBlockCase>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace tenantry::tests
