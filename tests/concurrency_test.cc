// Concurrency tests: calls to two tenants that share user ids must never
// see each other's data, writers to one tenant must take turns without
// errors, and a tenant database must stop a call's work at its deadline
// or cancellation. The gRPC tests run a real server on 127.0.0.1; the
// storage tests open real SQLite files under $TEST_TMPDIR.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/sqlite.h"
#include "storage/status_macros.h"
#include "storage/tenant_cache.h"
#include "storage/tenant_database.h"
#include "tests/storage/temp_dir.h"
#include "tests/test_server.h"

namespace tenantry::tests {
namespace {

using tenantry::v1::CreateDocumentRequest;
using tenantry::v1::CreateProfileRequest;
using tenantry::v1::Document;
using tenantry::v1::GetProfileRequest;
using tenantry::v1::ListDocumentsRequest;
using tenantry::v1::ListDocumentsResponse;
using tenantry::v1::ListProfilesRequest;
using tenantry::v1::ListProfilesResponse;
using tenantry::v1::LookupProfileByUserRequest;
using tenantry::v1::LookupProfileByUserResponse;
using tenantry::v1::Profile;

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

// Collects problems found by many threads; gtest reports them after the
// threads are joined.
class Problems {
 public:
  void Add(std::string problem) {
    absl::MutexLock lock(&mutex_);
    ++count_;
    if (first_.size() < 20) first_.push_back(std::move(problem));
  }

  int count() const {
    absl::MutexLock lock(&mutex_);
    return count_;
  }

  std::string Summary() const {
    absl::MutexLock lock(&mutex_);
    return absl::StrCat(count_, " problems, the first ones:\n",
                        absl::StrJoin(first_, "\n"));
  }

 private:
  mutable absl::Mutex mutex_;
  int count_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::string> first_ ABSL_GUARDED_BY(mutex_);
};

// Names a test parameter that is a tenant cache size.
std::string CacheSizeName(const ::testing::TestParamInfo<size_t>& info) {
  return absl::StrCat("CacheSize", info.param);
}

// Isolation soak.

// What sets one tenant's profiles apart from the other's.
struct TenantMarks {
  std::string id;
  // Every full name in the tenant starts with this.
  std::string name_prefix;
  tenantry::v1::Role role;
};

const TenantMarks kAlpha = {"alpha", "Alpha ", tenantry::v1::STUDENT};
const TenantMarks kBeta = {"beta", "Beta ", tenantry::v1::TEACHER};

Profile MarkedProfile(const TenantMarks& tenant, const std::string& user,
                      absl::string_view label) {
  Profile profile;
  profile.set_user(user);
  profile.set_full_name(absl::StrCat(tenant.name_prefix, label));
  profile.set_role(tenant.role);
  if (tenant.role == tenantry::v1::STUDENT) {
    profile.mutable_student_info()->set_school("Alpha School");
  } else {
    profile.mutable_teacher_info()->set_work_unit("Beta Faculty");
  }
  return profile;
}

class IsolationSoakTest : public ::testing::TestWithParam<size_t> {
 protected:
  // Users with a profile in both tenants.
  static constexpr int kSharedUsers = 6;
  static constexpr int kThreads = 8;
  // The bounds of the soak: calls per thread, and time for all threads.
  static constexpr int kCallsPerThread = 48;
  static constexpr absl::Duration kTimeLimit = absl::Seconds(15);

  void SetUp() override {
    services::ServerOptions options;
    options.tenant_cache_size = GetParam();
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    for (const TenantMarks* tenant : {&kAlpha, &kBeta}) {
      ASSERT_EQ(server_->CreateTenant(tenant->id).name(),
                TenantName(tenant->id));
    }
    for (int i = 0; i < kSharedUsers; ++i) {
      const std::string user =
          server_->CreateUser(absl::StrCat("shared", i, "@example.com")).name();
      ASSERT_FALSE(user.empty());
      users_.push_back(user);
      for (const TenantMarks* tenant : {&kAlpha, &kBeta}) {
        const Profile created = server_->CreateProfile(
            tenant->id, MarkedProfile(*tenant, user, absl::StrCat(i)));
        ASSERT_FALSE(created.name().empty());
        profiles_[tenant->id].push_back(created);
      }
    }
  }

  // Read by many threads, so never through the inserting operator[].
  const std::vector<Profile>& ProfilesOf(const TenantMarks& tenant) const {
    return profiles_.at(tenant.id);
  }

  // Records a problem unless `profile` is a profile of `tenant`.
  void CheckBelongs(const TenantMarks& tenant, const Profile& profile,
                    absl::string_view call) {
    const std::string prefix = absl::StrCat(TenantName(tenant.id), "/");
    if (!absl::StartsWith(profile.name(), prefix) ||
        !absl::StartsWith(profile.full_name(), tenant.name_prefix) ||
        profile.role() != tenant.role) {
      problems_.Add(absl::StrCat(call, " in tenant ", tenant.id,
                                 " returned a profile of another tenant: ",
                                 profile.ShortDebugString()));
    }
  }

  void GetProfile(const TenantMarks& tenant, int index) {
    const Profile& expected = ProfilesOf(tenant)[index % kSharedUsers];
    GetProfileRequest request;
    request.set_name(expected.name());
    Profile profile;
    const grpc::Status status = server_->profiles().GetProfile(
        TestServer::TenantContext(tenant.id).get(), request, &profile);
    if (!status.ok()) {
      problems_.Add(absl::StrCat("GetProfile in ", tenant.id,
                                 " failed: ", Describe(status)));
      return;
    }
    CheckBelongs(tenant, profile, "GetProfile");
    if (profile.full_name() != expected.full_name()) {
      problems_.Add(absl::StrCat("GetProfile ", expected.name(),
                                 " returned full_name ", profile.full_name(),
                                 ", expected ", expected.full_name()));
    }
  }

  // The other tenant's profile id under this tenant's name must not be
  // found: ids are per tenant database.
  void GetOtherTenantsProfileId(const TenantMarks& tenant,
                                const TenantMarks& other, int index) {
    const Profile& foreign = ProfilesOf(other)[index % kSharedUsers];
    GetProfileRequest request;
    request.set_name(
        absl::StrCat(TenantName(tenant.id), "/profiles/",
                     foreign.name().substr(foreign.name().rfind('/') + 1)));
    Profile profile;
    const grpc::Status status = server_->profiles().GetProfile(
        TestServer::TenantContext(tenant.id).get(), request, &profile);
    if (status.error_code() != grpc::StatusCode::NOT_FOUND) {
      problems_.Add(absl::StrCat(
          "GetProfile ", request.name(), " returned ", Describe(status),
          " with ", profile.ShortDebugString(), ", expected NOT_FOUND"));
    }
  }

  void LookupProfileByUser(const TenantMarks& tenant, int index) {
    const Profile& expected = ProfilesOf(tenant)[index % kSharedUsers];
    LookupProfileByUserRequest request;
    request.set_parent(TenantName(tenant.id));
    request.set_user(expected.user());
    LookupProfileByUserResponse response;
    const grpc::Status status = server_->profiles().LookupProfileByUser(
        TestServer::TenantContext(tenant.id).get(), request, &response);
    if (!status.ok()) {
      problems_.Add(absl::StrCat("LookupProfileByUser in ", tenant.id,
                                 " failed: ", Describe(status)));
      return;
    }
    CheckBelongs(tenant, response.profile(), "LookupProfileByUser");
    if (response.profile().name() != expected.name()) {
      problems_.Add(absl::StrCat("LookupProfileByUser ", expected.user(),
                                 " in ", tenant.id, " returned ",
                                 response.profile().name(), ", expected ",
                                 expected.name()));
    }
  }

  void ListProfiles(const TenantMarks& tenant) {
    ListProfilesRequest request;
    request.set_parent(TenantName(tenant.id));
    request.set_page_size(1000);
    ListProfilesResponse response;
    const grpc::Status status = server_->profiles().ListProfiles(
        TestServer::TenantContext(tenant.id).get(), request, &response);
    if (!status.ok()) {
      problems_.Add(absl::StrCat("ListProfiles in ", tenant.id,
                                 " failed: ", Describe(status)));
      return;
    }
    if (response.profiles_size() < kSharedUsers) {
      problems_.Add(absl::StrCat(
          "ListProfiles in ", tenant.id, " returned ", response.profiles_size(),
          " profiles, expected at least ", kSharedUsers));
    }
    for (const Profile& profile : response.profiles()) {
      CheckBelongs(tenant, profile, "ListProfiles");
    }
  }

  // Creates a profile in `tenant` for a new user; returns whether it
  // worked.
  bool CreateProfile(const TenantMarks& tenant, int thread, int call) {
    const std::string label = absl::StrCat("t", thread, "c", call);
    tenantry::v1::CreateUserRequest user_request;
    user_request.mutable_user()->set_email(
        absl::StrCat(tenant.id, "-", label, "@example.com"));
    user_request.mutable_user()->set_display_name(label);
    tenantry::v1::User user;
    grpc::Status status = server_->users().CreateUser(
        TestServer::Context().get(), user_request, &user);
    if (!status.ok()) {
      problems_.Add(absl::StrCat("CreateUser failed: ", Describe(status)));
      return false;
    }

    CreateProfileRequest request;
    request.set_parent(TenantName(tenant.id));
    *request.mutable_profile() = MarkedProfile(tenant, user.name(), label);
    Profile created;
    status = server_->profiles().CreateProfile(
        TestServer::TenantContext(tenant.id).get(), request, &created);
    if (!status.ok()) {
      problems_.Add(absl::StrCat("CreateProfile in ", tenant.id,
                                 " failed: ", Describe(status)));
      return false;
    }

    CheckBelongs(tenant, created, "CreateProfile");
    if (created.full_name() != request.profile().full_name()) {
      problems_.Add(absl::StrCat("CreateProfile in ", tenant.id,
                                 " returned full_name ", created.full_name(),
                                 ", expected ", request.profile().full_name()));
    }
    return true;
  }

  // Returns the number of profiles in the tenant, all checked to belong
  // to it, or -1 if the list fails.
  int CountProfiles(const TenantMarks& tenant) {
    ListProfilesRequest request;
    request.set_parent(TenantName(tenant.id));
    request.set_page_size(1000);
    ListProfilesResponse response;
    const grpc::Status status = server_->profiles().ListProfiles(
        TestServer::TenantContext(tenant.id).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    if (!status.ok()) return -1;
    EXPECT_TRUE(response.next_page_token().empty());
    for (const Profile& profile : response.profiles()) {
      CheckBelongs(tenant, profile, "ListProfiles");
    }
    return response.profiles_size();
  }

  std::unique_ptr<TestServer> server_;
  std::vector<std::string> users_;
  // The profiles made in SetUp, by tenant id, in the order of users_.
  std::map<std::string, std::vector<Profile>> profiles_;
  Problems problems_;
};

TEST_P(IsolationSoakTest, EveryAnswerBelongsToTenantAsked) {
  const absl::Time stop = absl::Now() + kTimeLimit;
  std::atomic<int> calls{0};
  std::atomic<int> created_in_alpha{0};
  std::atomic<int> created_in_beta{0};
  std::vector<std::thread> threads;
  for (int thread = 0; thread < kThreads; ++thread) {
    threads.emplace_back([&, thread] {
      for (int call = 0; call < kCallsPerThread && absl::Now() < stop; ++call) {
        // Alternate tenants, so that with a cache of one database nearly
        // every call evicts the other tenant's.
        const bool alpha = (thread + call) % 2 == 0;
        const TenantMarks& tenant = alpha ? kAlpha : kBeta;
        const TenantMarks& other = alpha ? kBeta : kAlpha;
        switch ((call / 2) % 5) {
          case 0:
            GetProfile(tenant, thread + call);
            break;
          case 1:
            ListProfiles(tenant);
            break;
          case 2:
            LookupProfileByUser(tenant, thread + call);
            break;
          case 3:
            if (CreateProfile(tenant, thread, call)) {
              ++(alpha ? created_in_alpha : created_in_beta);
            }
            break;
          case 4:
            GetOtherTenantsProfileId(tenant, other, thread + call);
            break;
        }
        ++calls;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(problems_.count(), 0) << problems_.Summary();
  EXPECT_GT(calls.load(), 0);
  EXPECT_GT(created_in_alpha.load(), 0);
  EXPECT_GT(created_in_beta.load(), 0);
  EXPECT_EQ(CountProfiles(kAlpha), kSharedUsers + created_in_alpha.load());
  EXPECT_EQ(CountProfiles(kBeta), kSharedUsers + created_in_beta.load());
  EXPECT_EQ(problems_.count(), 0) << problems_.Summary();
}

INSTANTIATE_TEST_SUITE_P(CacheSizes, IsolationSoakTest,
                         ::testing::Values(size_t{64}, size_t{1}),
                         CacheSizeName);

// Concurrent writers.

class ConcurrentWritersTest : public ::testing::TestWithParam<size_t> {
 protected:
  static constexpr char kTenant[] = "acme";
  // Reads of this tenant run next to the writes, so that with a cache of
  // one database the writers' tenant is evicted while they write.
  static constexpr char kOtherTenant[] = "other";
  static constexpr int kWriters = 50;

  void SetUp() override {
    services::ServerOptions options;
    options.tenant_cache_size = GetParam();
    absl::StatusOr<std::unique_ptr<TestServer>> server =
        TestServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_FALSE(server_->CreateTenant(kTenant).name().empty());
    ASSERT_FALSE(server_->CreateTenant(kOtherTenant).name().empty());
  }

  grpc::Status ListDocuments(absl::string_view tenant_id,
                             ListDocumentsResponse* response) {
    ListDocumentsRequest request;
    request.set_parent(TenantName(tenant_id));
    request.set_page_size(1000);
    return server_->documents().ListDocuments(
        TestServer::TenantContext(tenant_id).get(), request, response);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_P(ConcurrentWritersTest, FiftyCreatesAllSucceedAndAreListed) {
  absl::Notification start;
  std::vector<grpc::Status> statuses(kWriters);
  std::vector<grpc::Status> reads(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      CreateDocumentRequest request;
      request.set_parent(TenantName(kTenant));
      request.mutable_document()->set_title(absl::StrCat("document ", i));
      request.mutable_document()->set_content(absl::StrCat("content ", i));
      Document created;
      start.WaitForNotification();
      statuses[i] = server_->documents().CreateDocument(
          TestServer::TenantContext(kTenant).get(), request, &created);
    });
    threads.emplace_back([&, i] {
      ListDocumentsResponse response;
      start.WaitForNotification();
      reads[i] = ListDocuments(kOtherTenant, &response);
    });
  }
  start.Notify();
  for (std::thread& thread : threads) thread.join();

  for (int i = 0; i < kWriters; ++i) {
    EXPECT_TRUE(statuses[i].ok())
        << "document " << i << ": " << Describe(statuses[i]);
    EXPECT_FALSE(
        absl::StrContains(statuses[i].error_message(), "database is locked"))
        << Describe(statuses[i]);
    EXPECT_TRUE(reads[i].ok()) << Describe(reads[i]);
  }
  ListDocumentsResponse listed;
  const grpc::Status status = ListDocuments(kTenant, &listed);
  ASSERT_TRUE(status.ok()) << Describe(status);
  std::set<std::string> titles;
  for (const Document& document : listed.documents()) {
    titles.insert(document.title());
  }
  EXPECT_EQ(listed.documents_size(), kWriters);
  for (int i = 0; i < kWriters; ++i) {
    EXPECT_EQ(titles.count(absl::StrCat("document ", i)), 1u) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(CacheSizes, ConcurrentWritersTest,
                         ::testing::Values(size_t{64}, size_t{1}),
                         CacheSizeName);

// Call limits of a tenant database, on SQLite files without a server.

class CallLimitsTest : public ::testing::Test {
 protected:
  static constexpr char kTenant[] = "acme";

  void SetUp() override {
    ASSERT_TRUE(
        storage::CreateTenantDatabaseFile(directory_.path(), kTenant).ok());
    database_ = Open(storage::SqliteConnection::Options());
    ASSERT_NE(database_, nullptr);
    ASSERT_TRUE(database_
                    ->Run([](storage::SqliteConnection& connection) {
                      return connection.ExecuteScript(
                          "CREATE TABLE marks (label TEXT)");
                    })
                    .ok());
  }

  std::unique_ptr<storage::TenantDatabase> Open(
      const storage::SqliteConnection::Options& options) {
    absl::StatusOr<std::unique_ptr<storage::TenantDatabase>> database =
        storage::TenantDatabase::Open(kTenant, path(), options);
    EXPECT_TRUE(database.ok()) << database.status();
    return database.ok() ? *std::move(database) : nullptr;
  }

  std::string path() const {
    return storage::TenantDatabasePath(directory_.path(), kTenant);
  }

  // Another connection to the file, as tenantctl would open.
  std::unique_ptr<storage::SqliteConnection> OpenOtherConnection() {
    absl::StatusOr<std::unique_ptr<storage::SqliteConnection>> connection =
        storage::SqliteConnection::Open(path(),
                                        storage::SqliteConnection::Options());
    EXPECT_TRUE(connection.ok()) << connection.status();
    return connection.ok() ? *std::move(connection) : nullptr;
  }

  static storage::CallLimits DeadlineIn(absl::Duration timeout) {
    storage::CallLimits limits;
    limits.deadline = absl::Now() + timeout;
    return limits;
  }

  static absl::Status InsertMark(storage::SqliteConnection& connection) {
    return connection.ExecuteScript("INSERT INTO marks VALUES ('written')");
  }

  absl::StatusOr<int64_t> CountMarks() {
    return database_->Run(
        [](storage::SqliteConnection& connection) -> absl::StatusOr<int64_t> {
          TENANTRY_ASSIGN_OR_RETURN(
              storage::SqliteStatement * statement,
              connection.Prepare("SELECT COUNT(*) FROM marks"));
          storage::StatementLease count(statement);
          TENANTRY_ASSIGN_OR_RETURN(const bool has_row, count->Step());
          if (!has_row) return absl::InternalError("COUNT(*) returned no row");
          return count->ColumnInt(0);
        });
  }

  testing::TempDir directory_;
  std::unique_ptr<storage::TenantDatabase> database_;
};

// Holds the turn of `database` on a thread of its own until Release(), or
// for 20 seconds at most.
class TurnHolder {
 public:
  explicit TurnHolder(storage::TenantDatabase& database) {
    thread_ = std::thread([this, &database] {
      database
          .Run([this](storage::SqliteConnection&) {
            held_.Notify();
            release_.WaitForNotificationWithTimeout(absl::Seconds(20));
            released_ = true;
            return absl::OkStatus();
          })
          .IgnoreError();
    });
    held_.WaitForNotification();
  }

  ~TurnHolder() { Release(); }

  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
    if (thread_.joinable()) thread_.join();
  }

  // Whether the holder let go of the turn.
  bool released() const { return released_.load(); }

 private:
  absl::Notification held_;
  absl::Notification release_;
  std::atomic<bool> released_{false};
  std::thread thread_;
};

TEST_F(CallLimitsTest, DeadlineWhileWaitingForTurnSkipsBody) {
  TurnHolder holder(*database_);
  bool body_ran = false;

  const absl::Status status =
      database_->WithLimits(DeadlineIn(absl::Milliseconds(200)))
          .Run([&](storage::SqliteConnection& connection) {
            body_ran = true;
            return InsertMark(connection);
          });

  EXPECT_FALSE(holder.released()) << "Run() waited past its deadline";
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "tenant \"acme\"")) << status;
  EXPECT_FALSE(body_ran);
  holder.Release();
  const absl::StatusOr<int64_t> marks = CountMarks();
  ASSERT_TRUE(marks.ok()) << marks.status();
  EXPECT_EQ(*marks, 0);
}

TEST_F(CallLimitsTest, CancelWhileWaitingForTurnSkipsBody) {
  TurnHolder holder(*database_);
  std::atomic<bool> cancelled{false};
  storage::CallLimits limits;
  limits.is_cancelled = [&cancelled] { return cancelled.load(); };
  std::thread canceller([&cancelled] {
    absl::SleepFor(absl::Milliseconds(100));
    cancelled = true;
  });
  bool body_ran = false;

  const absl::Status status =
      database_->WithLimits(std::move(limits))
          .Run([&](storage::SqliteConnection& connection) {
            body_ran = true;
            return InsertMark(connection);
          });
  canceller.join();

  EXPECT_FALSE(holder.released()) << "Run() waited after the cancellation";
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_FALSE(body_ran);
}

TEST_F(CallLimitsTest, TurnWithinDeadlineRunsBody) {
  const absl::Status status =
      database_->WithLimits(DeadlineIn(absl::Seconds(30))).Run(&InsertMark);

  EXPECT_TRUE(status.ok()) << status;
  const absl::StatusOr<int64_t> marks = CountMarks();
  ASSERT_TRUE(marks.ok()) << marks.status();
  EXPECT_EQ(*marks, 1);
}

TEST_F(CallLimitsTest, CommitAfterDeadlineIsRolledBack) {
  const absl::Status status =
      database_->WithLimits(DeadlineIn(absl::Milliseconds(100)))
          .Run([](storage::SqliteConnection& connection) {
            return connection.InTransaction([&] {
              absl::Status inserted = InsertMark(connection);
              absl::SleepFor(absl::Milliseconds(300));
              return inserted;
            });
          });

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  const absl::StatusOr<int64_t> marks = CountMarks();
  ASSERT_TRUE(marks.ok()) << marks.status();
  EXPECT_EQ(*marks, 0);
}

TEST_F(CallLimitsTest, AutocommitAfterDeadlineIsNotWritten) {
  const absl::Status status =
      database_->WithLimits(DeadlineIn(absl::Milliseconds(100)))
          .Run([](storage::SqliteConnection& connection) {
            absl::SleepFor(absl::Milliseconds(300));
            return InsertMark(connection);
          });

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  const absl::StatusOr<int64_t> marks = CountMarks();
  ASSERT_TRUE(marks.ok()) << marks.status();
  EXPECT_EQ(*marks, 0);
}

TEST_F(CallLimitsTest, LongQueryIsInterruptedAtDeadline) {
  // Counting to 10^8 in a recursive query takes many seconds.
  const absl::StatusOr<int64_t> count =
      database_->WithLimits(DeadlineIn(absl::Milliseconds(200)))
          .Run([](storage::SqliteConnection& connection)
                   -> absl::StatusOr<int64_t> {
            TENANTRY_ASSIGN_OR_RETURN(
                storage::SqliteStatement * statement,
                connection.Prepare(
                    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
                    "FROM n WHERE x < 100000000) SELECT COUNT(*) FROM n"));
            storage::StatementLease query(statement);
            TENANTRY_ASSIGN_OR_RETURN(const bool has_row, query->Step());
            if (!has_row)
              return absl::InternalError("COUNT(*) returned no row");
            return query->ColumnInt(0);
          });

  EXPECT_EQ(count.status().code(), absl::StatusCode::kDeadlineExceeded)
      << count.status();
}

TEST_F(CallLimitsTest, SqliteBusyWaitEndsAtDeadline) {
  // Without the deadline, SQLite would wait 30 seconds for the lock.
  storage::SqliteConnection::Options options;
  options.busy_timeout_ms = 30000;
  std::unique_ptr<storage::TenantDatabase> patient = Open(options);
  ASSERT_NE(patient, nullptr);
  std::unique_ptr<storage::SqliteConnection> other = OpenOtherConnection();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->ExecuteScript("BEGIN IMMEDIATE").ok());

  const absl::Status status =
      patient->WithLimits(DeadlineIn(absl::Milliseconds(200))).Run(&InsertMark);

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  ASSERT_TRUE(other->ExecuteScript("ROLLBACK").ok());
  const absl::StatusOr<int64_t> marks = CountMarks();
  ASSERT_TRUE(marks.ok()) << marks.status();
  EXPECT_EQ(*marks, 0);
}

TEST_F(CallLimitsTest, SqliteBusyWaitEndsAtCancel) {
  storage::SqliteConnection::Options options;
  options.busy_timeout_ms = 30000;
  std::unique_ptr<storage::TenantDatabase> patient = Open(options);
  ASSERT_NE(patient, nullptr);
  std::unique_ptr<storage::SqliteConnection> other = OpenOtherConnection();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->ExecuteScript("BEGIN IMMEDIATE").ok());
  std::atomic<bool> cancelled{false};
  storage::CallLimits limits;
  limits.is_cancelled = [&cancelled] { return cancelled.load(); };
  std::thread canceller([&cancelled] {
    absl::SleepFor(absl::Milliseconds(100));
    cancelled = true;
  });

  const absl::Status status =
      patient->WithLimits(std::move(limits)).Run(&InsertMark);
  canceller.join();

  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  ASSERT_TRUE(other->ExecuteScript("ROLLBACK").ok());
}

TEST_F(CallLimitsTest, UnlimitedRunKeepsBusyTimeout) {
  storage::SqliteConnection::Options options;
  options.busy_timeout_ms = 100;
  std::unique_ptr<storage::TenantDatabase> database = Open(options);
  ASSERT_NE(database, nullptr);
  // A limited run installs its own busy handler and must remove it.
  ASSERT_TRUE(database->WithLimits(DeadlineIn(absl::Seconds(30)))
                  .Run(&InsertMark)
                  .ok());
  std::unique_ptr<storage::SqliteConnection> other = OpenOtherConnection();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->ExecuteScript("BEGIN IMMEDIATE").ok());

  const absl::Status status = database->Run(&InsertMark);

  // SQLITE_BUSY after the 100 ms busy timeout.
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "locked")) << status;
  ASSERT_TRUE(other->ExecuteScript("ROLLBACK").ok());
}

// Tenant cache: one connection per tenant while calls use it.

class CacheConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"alpha", "beta"}) {
      ASSERT_TRUE(storage::CreateTenantDatabaseFile(directory_.path(), id).ok())
          << id;
    }
    storage::TenantCache::Options options;
    options.data_dir = directory_.path();
    options.capacity = 1;
    cache_ = std::make_unique<storage::TenantCache>(options);
  }

  std::shared_ptr<storage::TenantDatabase> Get(absl::string_view tenant_id) {
    absl::StatusOr<std::shared_ptr<storage::TenantDatabase>> database =
        cache_->Get(tenant_id);
    EXPECT_TRUE(database.ok()) << database.status();
    return database.ok() ? *database : nullptr;
  }

  testing::TempDir directory_;
  std::unique_ptr<storage::TenantCache> cache_;
};

TEST_F(CacheConnectionTest, EvictedDatabaseInUseIsReturnedAgain) {
  const std::shared_ptr<storage::TenantDatabase> in_use = Get("alpha");
  ASSERT_NE(Get("beta"), nullptr);
  ASSERT_EQ(cache_->stats().evictions, 1);

  EXPECT_EQ(Get("alpha"), in_use);
  EXPECT_EQ(cache_->size(), 1u);
}

TEST_F(CacheConnectionTest, EvictedDatabaseNoLongerUsedIsReopened) {
  const storage::TenantDatabase* first = Get("alpha").get();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(Get("beta"), nullptr);
  const int64_t misses = cache_->stats().misses;

  ASSERT_NE(Get("alpha"), nullptr);

  EXPECT_EQ(cache_->stats().misses, misses + 1);
}

TEST_F(CacheConnectionTest, ExplicitEvictForgetsDatabaseInUse) {
  const std::shared_ptr<storage::TenantDatabase> in_use = Get("alpha");
  ASSERT_NE(Get("beta"), nullptr);

  cache_->Evict("alpha");

  const std::shared_ptr<storage::TenantDatabase> reopened = Get("alpha");
  ASSERT_NE(reopened, nullptr);
  EXPECT_NE(reopened, in_use);
}

}  // namespace
}  // namespace tenantry::tests
